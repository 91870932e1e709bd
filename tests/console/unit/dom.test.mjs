// lib/dom.js: the parts that need no document (times, ages, state kinds).
// h()'s refusal of inline handlers with a document stand-in; the rest of h(),
// dialogs and tables are checked in the browser tests.
import test from 'node:test';
import assert from 'node:assert/strict';
import { consoleModule } from './console-modules.mjs';

process.env.TZ = 'UTC';
const domModule = await consoleModule('lib/dom.js');
const { formatTime, formatAge, stateKind, errorText } = domModule;
const { ApiError } = await consoleModule('lib/api.js');

test('formatTime: ms, digit strings and ISO text in local time; nothing for nothing', () => {
  assert.equal(formatTime(Date.UTC(2026, 11, 7, 14, 3, 5)), '2026-12-07 14:03:05');
  assert.equal(formatTime(String(Date.UTC(2026, 11, 7, 14, 3, 5))), '2026-12-07 14:03:05');
  assert.equal(formatTime('2026-12-07T14:03:05Z'), '2026-12-07 14:03:05');
  assert.equal(formatTime('2026-12-07T14:03:05.123Z'), '2026-12-07 14:03:05');
  assert.equal(formatTime(0), '');
  assert.equal(formatTime(undefined), '');
  assert.equal(formatTime(''), '');
  assert.equal(formatTime('not a time'), 'not a time');
});

test('formatAge: seconds, minutes, hours, days', () => {
  assert.equal(formatAge(0), '0 s');
  assert.equal(formatAge(45.7), '45 s');
  assert.equal(formatAge(60), '1 min');
  assert.equal(formatAge(3599), '59 min');
  assert.equal(formatAge(3600), '1 h');
  assert.equal(formatAge(7500), '2 h 5 min');
  assert.equal(formatAge(86400 * 3 + 3600 * 4 + 5), '3 d 4 h');
  assert.equal(formatAge(-5), '0 s');
  assert.equal(formatAge(undefined), '0 s');
});

test('stateKind: outcomes and states to badge kinds', () => {
  assert.equal(stateKind('Provisioned'), 'ok');
  assert.equal(stateKind('Assigned'), 'ok');
  assert.equal(stateKind('Unassigned'), 'warn');
  assert.equal(stateKind('pending'), 'warn');
  assert.equal(stateKind('waiting_for_confirmation'), 'warn');
  assert.equal(stateKind('Failed'), 'error');
  assert.equal(stateKind('rejected'), 'error');
  assert.equal(stateKind('upload'), 'neutral');
  assert.equal(stateKind(''), 'neutral');
});

test('errorText: one line from an ApiError, its row errors, any Error', () => {
  assert.equal(errorText(new ApiError({ status: 403, title: 'role_forbids', detail: 'victor may not\napprove' })),
    'victor may not approve');
  assert.equal(errorText(new ApiError({ status: 422, detail: '2 rows are refused', errors: ['line 3: imei', 'line 4: serial'] })),
    '2 rows are refused (2 errors; first: line 3: imei)');
  assert.equal(errorText(new ApiError({ status: 500, title: 'internal' })), 'internal');
  assert.equal(errorText(new Error('boom')), 'boom');
  assert.equal(errorText(new TypeError('Failed to fetch')), 'Cannot reach kdad (Failed to fetch)');
  assert.equal(errorText(null), 'Unknown error');
});

test('h(): an on* attribute takes a function; a string (an inline handler) throws', () => {
  // A minimal document stand-in: h() only needs createElement and these methods.
  const made = [];
  const saved = globalThis.document;
  globalThis.document = {
    createElement: (tag) => {
      const el = { tag, attrs: {}, listeners: {}, style: {}, dataset: {},
        setAttribute(k, v) { this.attrs[k] = v; }, addEventListener(t, f) { this.listeners[t] = f; }, append() {} };
      made.push(el);
      return el;
    },
  };
  try {
    const { h } = domModule;
    const fn = () => {};
    const b = h('button', { onclick: fn, onInput: undefined, onchange: null, onfocus: false });
    assert.equal(b.listeners.click, fn);
    assert.deepEqual(b.attrs, {});
    assert.throws(() => h('img', { onerror: 'alert(1)' }), /onerror must be a function/);
    assert.throws(() => h('a', { ONCLICK: 'alert(1)' }), /ONCLICK must be a function/);
    assert.throws(() => h('div', { onmouseover: 1 }), /must be a function/);
    assert.ok(made.every((el) => !Object.keys(el.attrs).some((k) => /^on/i.test(k))), 'no handler attribute was set');
  } finally {
    globalThis.document = saved;
  }
});
