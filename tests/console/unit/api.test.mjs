// lib/api.js: URLs and query strings, headers and bodies, problem documents
// as ApiError, a 401 reported to the shell. fetch is a recording stand-in
// (these are the module's pure rules; the browser tests talk to a real kdad).
import test from 'node:test';
import assert from 'node:assert/strict';
import { consoleModule } from './console-modules.mjs';

const { Api, ApiError, apiUrl, queryString } = await consoleModule('lib/api.js');

test('query: null/undefined left out, arrays repeat, the shell customer added unless params name one', () => {
  assert.equal(queryString({ a: 1, b: undefined, c: null, d: ['x', 'y z'] }, null), '?a=1&d=x&d=y+z');
  assert.equal(queryString({}, null), '');
  assert.equal(queryString(undefined, '4829163057'), '?customer=4829163057');
  assert.equal(queryString({ state: 'Unassigned' }, ''), '?customer=&state=Unassigned');
  assert.equal(queryString({ customer: null, q: 'a&b' }, '4829163057'), '?q=a%26b');
  assert.equal(queryString({ customer: '77' }, '4829163057'), '?customer=77');
  assert.equal(queryString({ customer: '' }, '4829163057'), '?customer=');
  assert.equal(apiUrl('/profiles/Corporate%20Wi-Fi', { dry_run: true }, null), '/api/v1/profiles/Corporate%20Wi-Fi?dry_run=true');
  assert.equal(apiUrl('devices', {}, null), '/api/v1/devices');
});

function recorder(responses) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const next = responses.shift();
    return typeof next === 'function' ? next() : next;
  };
  return { calls, fetch };
}

const json = (status, body, type = 'application/json') =>
  new Response(body === undefined ? '' : JSON.stringify(body), { status, headers: { 'Content-Type': type } });

test('get: bearer header, JSON answer, the customer from the shell at call time', async () => {
  let customer = null;
  const { calls, fetch } = recorder([json(200, { user: 'u', role: 'viewer' }), json(200, { devices: [] })]);
  const api = new Api({ token: 'kda_test', customer: () => customer, fetch });
  assert.deepEqual(await api.get('/me'), { user: 'u', role: 'viewer' });
  customer = '4829163057';
  await api.get('/devices', { state: 'Assigned' });
  assert.equal(calls[0].url, '/api/v1/me');
  assert.equal(calls[0].init.method, 'GET');
  assert.equal(calls[0].init.headers.Authorization, 'Bearer kda_test');
  assert.equal(calls[0].init.headers.Accept, 'application/json');
  assert.equal(calls[0].init.body, undefined);
  assert.equal(calls[1].url, '/api/v1/devices?customer=4829163057&state=Assigned');
});

test('post/patch/del/upload: methods, bodies and content types; an empty answer is {}', async () => {
  const { calls, fetch } = recorder([json(200), json(200, { ok: true }), new Response(null, { status: 204 }), json(200, {})]);
  const api = new Api({ token: 't', fetch });
  assert.deepEqual(await api.post('/sessions/948138/confirm'), {});
  assert.deepEqual(await api.patch('/customers/1', { size: '1-9' }), { ok: true });
  assert.deepEqual(await api.del('/profiles/A%20B'), {});
  await api.upload('/devices', 'imei\n490154203237518\n', { dry_run: true });
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.body, '{}');
  assert.equal(calls[0].init.headers['Content-Type'], 'application/json');
  assert.equal(calls[1].init.method, 'PATCH');
  assert.equal(calls[1].init.body, '{"size":"1-9"}');
  assert.equal(calls[2].init.method, 'DELETE');
  assert.equal(calls[2].url, '/api/v1/profiles/A%20B');
  assert.equal(calls[3].url, '/api/v1/devices?dry_run=true');
  assert.equal(calls[3].init.headers['Content-Type'], 'text/csv');
  assert.equal(calls[3].init.body, 'imei\n490154203237518\n');
});

test('blob: the bytes as a Blob', async () => {
  const { fetch } = recorder([new Response(new Uint8Array([137, 80, 78, 71]), { status: 200, headers: { 'Content-Type': 'image/png' } })]);
  const api = new Api({ token: 't', fetch });
  const blob = await api.blob('/profiles/P/qr.png');
  assert.equal(blob.type, 'image/png');
  assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [137, 80, 78, 71]);
});

test('a problem document becomes an ApiError with its fields', async () => {
  const problem = {
    type: 'https://kda.dev/errors/kda.access/role_forbids', title: 'role_forbids', status: 403,
    detail: 'victor may not approve devices (role viewer)', code: { category: 'kda.access', value: 1 },
    instance: '/api/v1/devices/approve',
  };
  const rows = { title: 'invalid_rows', status: 422, detail: '2 rows are refused', code: { category: 'kda.inventory', value: 4 },
    errors: ['line 3: imei: not 15 digits', 'line 4: serial: empty'] };
  const { fetch } = recorder([json(403, problem, 'application/problem+json'), json(422, rows, 'application/problem+json'),
    new Response('upstream down', { status: 502, statusText: 'Bad Gateway' })]);
  const api = new Api({ token: 't', fetch });
  const e1 = await api.post('/devices/approve', { all: true }).catch((e) => e);
  assert.ok(e1 instanceof ApiError);
  assert.equal(e1.status, 403);
  assert.deepEqual(e1.code, { category: 'kda.access', value: 1 });
  assert.equal(e1.title, 'role_forbids');
  assert.equal(e1.message, problem.detail);
  assert.equal(e1.errors, undefined);
  const e2 = await api.upload('/devices', 'x').catch((e) => e);
  assert.deepEqual(e2.errors, rows.errors);
  const e3 = await api.get('/status').catch((e) => e);
  assert.equal(e3.status, 502);
  assert.equal(e3.message, 'upstream down');
});

test('a 401 calls onUnauthorized, then throws', async () => {
  const seen = [];
  const { fetch } = recorder([json(401, { title: 'token_revoked', status: 401, detail: 'the token was revoked',
    code: { category: 'kda.http', value: 9 } }, 'application/problem+json')]);
  const api = new Api({ token: 't', fetch, onUnauthorized: (e) => seen.push(e.message) });
  const err = await api.get('/me').catch((e) => e);
  assert.equal(err.status, 401);
  assert.deepEqual(seen, ['the token was revoked']);
});
