// lib/sse.js: the text/event-stream parser, against the examples of the
// HTML standard's "Server-sent events" section, kdad's own stream, and a
// property test: any split of a stream into chunks gives the events of the
// stream in one piece, and those match a plain reference reading of the
// standard's rules (stands in for a fuzzer, which cannot run JS here).
import test from 'node:test';
import assert from 'node:assert/strict';
import { consoleModule } from './console-modules.mjs';

const { SseParser, parseEventStream } = await consoleModule('lib/sse.js');

const msg = (data, id = '', type = 'message') => ({ type, data, id });

test('spec: several data lines join with a newline', () => {
  assert.deepEqual(parseEventStream('data: YHOO\ndata: +2\ndata: 10\n\n'), [msg('YHOO\n+2\n10')]);
});

test('spec: comments, ids, an empty id resets it, one space stripped', () => {
  const stream = ': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n';
  const parser = new SseParser();
  assert.deepEqual(parser.push(stream), [msg('first event', '1'), msg('second event', ''), msg(' third event', '')]);
  assert.equal(parser.comments, 1);
  assert.equal(parser.lastEventId, '');
});

test('spec: the last event needs its blank line; end of stream is not enough', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: first\n\ndata: unfinished\n'), [msg('first')]);
  assert.deepEqual(parser.end(), []);
  // After end() (a reconnect) the old partial event is gone.
  assert.deepEqual(parser.push('data: next\n\n'), [msg('next')]);
});

test('spec: "data" alone is an empty line of data; two give a newline', () => {
  assert.deepEqual(parseEventStream('data\n\ndata\ndata\n\ndata:'), [msg(''), msg('\n')]);
});

test('spec: "data:test" and "data: test" are the same', () => {
  assert.deepEqual(parseEventStream('data:test\n\ndata: test\n\n'), [msg('test'), msg('test')]);
});

test('event types, and a type without data dispatches nothing', () => {
  assert.deepEqual(parseEventStream('event: add\ndata: 73857293\n\nevent: remove\n\nevent: add\ndata: 113411\n\n'),
    [msg('73857293', '', 'add'), msg('113411', '', 'add')]);
  // The type does not leak into the next event.
  assert.deepEqual(parseEventStream('event: x\n\ndata: y\n\n'), [msg('y')]);
});

test('line endings: CRLF, LF and CR, mixed', () => {
  const expected = [msg('a', '1', 'e'), msg('b', '1')];
  assert.deepEqual(parseEventStream('id: 1\r\nevent: e\r\ndata: a\r\n\r\ndata: b\r\n\r\n'), expected);
  assert.deepEqual(parseEventStream('id: 1\revent: e\rdata: a\r\rdata: b\r\r'), expected);
  assert.deepEqual(parseEventStream('id: 1\nevent: e\r\ndata: a\r\rdata: b\n\r\n'), expected);
});

test('a CRLF split between chunks is one line end, not two', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: a\r'), []);
  assert.deepEqual(parser.push('\ndata: b\r'), []);
  assert.deepEqual(parser.push('\n\r'), [msg('a\nb')]);
  assert.deepEqual(parser.push(''), []);
  assert.deepEqual(parser.push('\n'), []);  // the LF of the CRLF above
  assert.deepEqual(parser.push('data: c\n\n'), [msg('c')]);
});

test('CR then CR is two line ends (a blank line)', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: a\r'), []);
  assert.deepEqual(parser.push('\r'), [msg('a')]);
});

test('a leading BOM is dropped once; a later one is data', () => {
  assert.deepEqual(parseEventStream('\uFEFFdata: x\n\n'), [msg('x')]);
  const parser = new SseParser();
  assert.deepEqual(parser.push(''), []);
  assert.deepEqual(parser.push('\uFEFF'), []);
  assert.deepEqual(parser.push('\uFEFFdata: y\n\n'), []);  // "\uFEFFdata" is an unknown field
  assert.deepEqual(parseEventStream('data: \uFEFFz\n\n'), [msg('\uFEFFz')]);
});

test('retry: digits only; unknown and mis-cased fields are ignored', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('retry: 5000\ndata: a\n\nretry: 12x\nretry\nfoo: bar\nData: no\nDATA: no\ndata: b\n\n'),
    [msg('a'), msg('b')]);
  assert.equal(parser.retry, 5000);
});

test('an id holding NUL is ignored; the id persists across events', () => {
  assert.deepEqual(parseEventStream('id: 7\ndata: a\n\nid: 8\u00009\ndata: b\n\ndata: c\n\n'),
    [msg('a', '7'), msg('b', '7'), msg('c', '7')]);
});

test('an id without data still sets the last event id', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('id: 42\n\n'), []);
  assert.equal(parser.lastEventId, '42');
  assert.deepEqual(parser.push('data: x\n\n'), [msg('x', '42')]);
});

test('a colon in the value stays; only the first separates', () => {
  assert.deepEqual(parseEventStream('data: a: b:c\n\ndata::x\n\n'), [msg('a: b:c'), msg(':x')]);
});

test("kdad's stream: ids, named events, JSON data, keep-alive comments", () => {
  const stream =
    'id: 1765092000000-41\nevent: session\ndata: {"kind":"session","session":{"id":"s1","sas":"948138"}}\n\n' +
    ': keep-alive\n\n' +
    'id: 1765092000000-42\nevent: ledger\ndata: {"kind":"ledger","ledger":{"outcome":"Provisioned"}}\n\n' +
    'id: 1765092000000-42\nevent: reset\ndata: {"reason":"kdad restarted since event 9-1"}\n\n' +
    'event: session\ndata: {"kind":"session"}\n\n';
  const parser = new SseParser();
  const events = parser.push(stream);
  assert.deepEqual(events.map((e) => [e.type, e.id]), [
    ['session', '1765092000000-41'], ['ledger', '1765092000000-42'], ['reset', '1765092000000-42'],
    ['session', '1765092000000-42']]);
  assert.equal(JSON.parse(events[0].data).session.sas, '948138');
  assert.equal(parser.comments, 1);
});

// ------------------------------------------------------------ property test

// A plain reading of the standard's rules over a whole stream: the oracle.
function reference(text) {
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  lines.pop();  // the text after the last line end is not a line
  const events = [];
  let data = null;
  let type = '';
  let id = '';
  let lastId = '';
  let retry = null;
  for (const line of lines) {
    if (line === '') {
      lastId = id;
      if (data !== null) events.push({ type: type || 'message', data: data.join('\n'), id: lastId });
      data = null;
      type = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const name = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') (data ??= []).push(value);
    else if (name === 'event') type = value;
    else if (name === 'id' && !value.includes('\0')) id = value;
    else if (name === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  return { events, lastId, retry };
}

// mulberry32: a small seeded PRNG, so a failure can be replayed.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['data', 'data:', 'data: ', 'id', 'id: ', 'event: ', 'retry: ', 'retry:', ':', ' ', '  ', '\r', '\n',
  '\r\n', '\n\n', '\r\n\r\n', 'x', 'é', '😀', '\u0000', '\uFEFF', '12', '{"a":1}', 'Data', 'foo', 'session', '-', '0'];

function randomStream(rand) {
  const n = 1 + Math.floor(rand() * 60);
  let s = rand() < 0.2 ? '\uFEFF' : '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  return s;
}

function randomSplit(rand, text) {
  const chunks = [];
  let i = 0;
  while (i < text.length) {
    const r = rand();
    const len = r < 0.1 ? 0 : r < 0.6 ? 1 + Math.floor(rand() * 3) : 1 + Math.floor(rand() * 20);
    chunks.push(text.slice(i, i + len));
    i += len;
  }
  return chunks;
}

test('property: any chunking gives the events of the whole stream, and the reference reading', () => {
  const seed = Number(process.env.SSE_SEED || 20261207);
  const cases = Number(process.env.SSE_CASES || 4000);
  const rand = prng(seed);
  for (let c = 0; c < cases; c++) {
    const stream = randomStream(rand);
    const whole = new SseParser();
    const wholeEvents = whole.push(stream);
    const expected = reference(stream);
    const where = `seed ${seed} case ${c}: ${JSON.stringify(stream)}`;
    assert.deepEqual(wholeEvents, expected.events, `whole stream vs reference, ${where}`);
    assert.equal(whole.lastEventId, expected.lastId, `last id, ${where}`);
    assert.equal(whole.retry, expected.retry, `retry, ${where}`);
    for (let k = 0; k < 3; k++) {
      const chunks = randomSplit(rand, stream);
      const parser = new SseParser();
      const events = chunks.flatMap((chunk) => parser.push(chunk));
      assert.deepEqual(events, wholeEvents, `chunks ${JSON.stringify(chunks)}, ${where}`);
      assert.equal(parser.lastEventId, whole.lastEventId, `last id in chunks, ${where}`);
      assert.equal(parser.retry, whole.retry, `retry in chunks, ${where}`);
    }
  }
});

test('a long line split into many small chunks is read in linear time', () => {
  const parser = new SseParser();
  const big = 'x'.repeat(200_000);
  const started = Date.now();
  for (let i = 0; i < big.length; i += 7) parser.push(i === 0 ? `data: ${big.slice(i, i + 7)}` : big.slice(i, i + 7));
  const events = parser.push('\n\n');
  assert.equal(events.length, 1);
  assert.equal(events[0].data.length, big.length);
  assert.ok(Date.now() - started < 5000, 'took too long');
});
