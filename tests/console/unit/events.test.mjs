// lib/events.js: one feed over fetch(); events reach every subscriber as
// {type, id, data}; after a drop it resumes with Last-Event-ID and backs
// off; a 401 signs out; a 403 stops. fetch is a stand-in serving streams
// whose chunks the test writes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { consoleModule } from './console-modules.mjs';

const { EventFeed, retryAfterMs, MAX_RETRY_AFTER_MS } = await consoleModule('lib/events.js');

const enc = new TextEncoder();

// A server stand-in: each fetch takes the next planned answer; a stream
// answer's chunks are written by the test through its controller.
function server() {
  const calls = [];
  const plans = [];
  const waiters = [];
  const fetch = (url, init) => {
    calls.push({ url, init, at: Date.now() });
    waiters.splice(0).forEach((w) => w());
    const plan = plans.shift();
    if (!plan) return new Promise(() => {});  // never answers
    return Promise.resolve(plan(init));
  };
  const stream = () => {
    let controller;
    const body = new ReadableStream({ start(c) { controller = c; } });
    const plan = (init) => {
      init.signal.addEventListener('abort', () => { try { controller.error(new DOMException('aborted', 'AbortError')); } catch {} });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    };
    plans.push(plan);
    return {
      write: (text) => controller.enqueue(enc.encode(text)),
      close: () => controller.close(),
    };
  };
  const refuse = (status, detail, headers = {}) => plans.push(() => new Response(JSON.stringify({ title: 't', status, detail }),
    { status, headers: { 'Content-Type': 'application/problem+json', ...headers } }));
  const nextCall = (n) => new Promise((resolve) => {
    const check = () => (calls.length >= n ? resolve(calls[n - 1]) : waiters.push(check));
    check();
  });
  return { calls, fetch, stream, refuse, nextCall };
}

const until = async (cond, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

test('events reach every subscriber parsed; an unsubscribed one no more', async () => {
  const s = server();
  const first = s.stream();
  const feed = new EventFeed({ token: 'kda_t', fetch: s.fetch, minDelayMs: 5 });
  const a = [];
  const b = [];
  const unsubscribeA = feed.subscribe((e) => a.push(e));
  feed.subscribe((e) => b.push(e));
  const call = await s.nextCall(1);
  assert.equal(call.url, '/api/v1/events');
  assert.equal(call.init.headers.Accept, 'text/event-stream');
  assert.equal(call.init.headers.Authorization, 'Bearer kda_t');
  assert.equal(call.init.headers['Last-Event-ID'], undefined);
  first.write('id: 9-1\nevent: session\ndata: {"kind":"session","session":{"id":"s1","sas":"948138"}}\n\n: keep-al');
  first.write('ive\n\nid: 9-2\nevent: ledger\ndata: {"kind":"le');
  await until(() => a.length === 1);
  assert.deepEqual(a[0], { type: 'session', id: '9-1', data: { kind: 'session', session: { id: 's1', sas: '948138' } } });
  unsubscribeA();
  first.write('dger"}\n\n');
  await until(() => b.length === 2);
  assert.equal(a.length, 1);
  assert.deepEqual(b[1], { type: 'ledger', id: '9-2', data: { kind: 'ledger' } });
  assert.equal(feed.state, 'live');
  feed.stop();
});

test('a dropped stream resumes with Last-Event-ID; reset reaches subscribers', async () => {
  const s = server();
  const first = s.stream();
  const second = s.stream();
  const feed = new EventFeed({ token: 't', fetch: s.fetch, minDelayMs: 5 });
  const got = [];
  feed.subscribe((e) => got.push(e));
  await s.nextCall(1);
  first.write('id: 9-5\nevent: session_ended\ndata: {"kind":"session_ended"}\n\nid: 9-6\nevent: session\ndata: {"unfinished"');
  first.close();
  const call = await s.nextCall(2);
  assert.equal(call.init.headers['Last-Event-ID'], '9-5');
  second.write('id: 9-9\nevent: reset\ndata: {"reason":"the events after 9-5 are no longer all kept"}\n\n');
  await until(() => got.length === 2);
  assert.deepEqual(got.map((e) => e.type), ['session_ended', 'reset']);
  assert.equal(got[1].data.reason, 'the events after 9-5 are no longer all kept');
  assert.equal(feed.lastEventId, '9-9');
  feed.stop();
});

test('failures back off doubling to the cap, and back to the start once answered', async () => {
  const s = server();
  s.refuse(503, 'busy');
  s.refuse(503, 'busy');
  s.refuse(429, 'too many');
  s.refuse(500, 'oops');
  const ok = s.stream();
  const feed = new EventFeed({ token: 't', fetch: s.fetch, minDelayMs: 10, maxDelayMs: 40 });
  feed.subscribe(() => {});
  await s.nextCall(5);
  const gaps = s.calls.slice(1).map((c, i) => c.at - s.calls[i].at);
  // 10, 20, 40, 40 ms (timers fire no earlier than asked).
  assert.ok(gaps[0] >= 9 && gaps[1] >= 19 && gaps[2] >= 39 && gaps[3] >= 39, `gaps ${gaps}`);
  await until(() => feed.state === 'live');
  assert.equal(feed.delayMs, 10);
  ok.close();
  feed.stop();
});

test('a 401 calls onUnauthorized and stops; a 403 stops without retrying', async () => {
  const s = server();
  s.refuse(401, 'the token was revoked');
  const seen = [];
  const feed = new EventFeed({ token: 't', fetch: s.fetch, minDelayMs: 5, onUnauthorized: (e) => seen.push(e.message) });
  feed.subscribe(() => {});
  await until(() => seen.length === 1);
  assert.deepEqual(seen, ['the token was revoked']);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(s.calls.length, 1);

  const s2 = server();
  s2.refuse(403, 'resellers may not read events');
  const feed2 = new EventFeed({ token: 't', fetch: s2.fetch, minDelayMs: 5 });
  feed2.subscribe(() => {});
  await until(() => feed2.state === 'refused');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(s2.calls.length, 1);
});

test('a silent stream counts as dropped; stop() ends it for good', async () => {
  const s = server();
  s.stream();
  const second = s.stream();
  const feed = new EventFeed({ token: 't', fetch: s.fetch, minDelayMs: 5, idleMs: 50 });
  feed.subscribe(() => {});
  await s.nextCall(2);  // the first said nothing for 50 ms
  second.write(': keep-alive\n\n');
  feed.stop();
  assert.equal(feed.state, 'stopped');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(s.calls.length, 2);
});

test('retryAfterMs: delay-seconds, an HTTP date, nothing, and the cap', () => {
  const now = Date.UTC(2026, 11, 7, 4, 0, 0);
  assert.equal(retryAfterMs('3', now), 3000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
  assert.equal(retryAfterMs('Mon, 07 Dec 2026 04:00:30 GMT', now), 30000);
  assert.equal(retryAfterMs('Mon, 07 Dec 2026 03:59:00 GMT', now), 0);  // in the past
  assert.equal(retryAfterMs(null, now), 0);
  assert.equal(retryAfterMs('soon', now), 0);
  assert.equal(retryAfterMs('-5', now), 0);
  assert.equal(retryAfterMs('86400', now), MAX_RETRY_AFTER_MS);
});

test('a 429 or 503 with Retry-After is retried no sooner than it says; without it, by the back-off', async () => {
  const s = server();
  s.refuse(429, 'too many streams for this token', { 'Retry-After': '1' });
  s.refuse(503, 'shutting down', { 'Retry-After': '1' });
  s.refuse(503, 'busy');
  const ok = s.stream();
  const feed = new EventFeed({ token: 't', fetch: s.fetch, minDelayMs: 10, maxDelayMs: 40 });
  feed.subscribe(() => {});
  await s.nextCall(4);
  const gaps = s.calls.slice(1).map((c, i) => c.at - s.calls[i].at);
  assert.ok(gaps[0] >= 990 && gaps[1] >= 990, `Retry-After: 1 honoured, gaps ${gaps}`);
  assert.ok(gaps[2] < 500, `no Retry-After: the back-off (40 ms), gaps ${gaps}`);
  await until(() => feed.state === 'live');
  ok.close();
  feed.stop();
});
