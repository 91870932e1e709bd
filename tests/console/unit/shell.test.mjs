// lib/shell.js: the customer selector's choices (only customers the caller
// can reach), what a route's ?customer= asks of it, and the notice timer
// that stands still while paused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { consoleModule } from './console-modules.mjs';

const { customerOptions, hashCustomer, needsSelector, NoticeTimer } = await consoleModule('lib/shell.js');

const listed = [
  { id: '1000000001', company_name: 'Zeta Corp', status: 'Active' },
  { id: '1000000002', company_name: 'Alpha Ltd', status: 'Delink requested' },
  { id: '1000000003', company_name: 'Gone GmbH', status: 'Delinked' },
  { id: '1000000004', company_name: 'New Inc', status: 'Pending customer approval' },
  { id: '1000000005', status: 'Active' },
];

test('an MSP-side token reaching every customer: the desk\'s own, then Active and Delink requested ones by name', () => {
  for (const role of ['msp-admin', 'desk-operator', 'viewer']) {
    const caller = { role, customers: [] };
    assert.ok(needsSelector(caller));
    assert.deepEqual(customerOptions(caller, listed), [
      { id: '', label: "Desk's own customer" },
      { id: '1000000005', label: '1000000005' },
      { id: '1000000002', label: 'Alpha Ltd (1000000002)' },
      { id: '1000000001', label: 'Zeta Corp (1000000001)' },
    ]);
  }
});

test('a token made for several customers: only those, less the ones the MSP side cannot reach', () => {
  const caller = { role: 'desk-operator', customers: ['1000000003', '1000000001', '1000000009'] };
  // 1000000009 is not in the list (not listed to it): kept, kdad decides.
  assert.deepEqual(customerOptions(caller, listed).map((o) => o.id), ['1000000009', '1000000001']);
  // The list refused: the token's own customers are the choices.
  assert.deepEqual(customerOptions(caller, []).map((o) => o.id), ['1000000001', '1000000003', '1000000009']);
});

test('a customer-admin reaches its own customers in any state', () => {
  const caller = { role: 'customer-admin', customers: ['1000000003', '1000000004'] };
  assert.ok(needsSelector(caller));
  assert.deepEqual(customerOptions(caller, listed).map((o) => o.id), ['1000000003', '1000000004']);
  assert.ok(!needsSelector({ role: 'customer-admin', customers: ['1000000003'] }));
  assert.ok(!needsSelector({ role: 'reseller', customers: [] }));
});

test('hashCustomer: none, choose an offered one, refuse one not offered', () => {
  const options = [{ id: '' }, { id: '1000000001' }, { id: '1000000002' }];
  const caller = { role: 'msp-admin', customers: [] };
  const p = (q) => new URLSearchParams(q);
  assert.deepEqual(hashCustomer(p('state=Unassigned'), options, caller, '1000000001'), { action: 'none' });
  assert.deepEqual(hashCustomer(p('customer=1000000001'), options, caller, '1000000001'), { action: 'none' });
  assert.deepEqual(hashCustomer(p('customer=1000000002'), options, caller, '1000000001'), { action: 'choose', id: '1000000002' });
  assert.deepEqual(hashCustomer(p('customer='), options, caller, '1000000001'), { action: 'choose', id: '' });
  assert.deepEqual(hashCustomer(p('customer=1000000003'), options, caller, '1000000001'), { action: 'refuse', id: '1000000003' });
  // No selector: the token's one customer is fine, any other is refused.
  const one = { role: 'customer-admin', customers: ['1000000001'] };
  assert.deepEqual(hashCustomer(p('customer=1000000001'), null, one, null), { action: 'none' });
  assert.deepEqual(hashCustomer(p('customer=1000000002'), null, one, null), { action: 'refuse', id: '1000000002' });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('NoticeTimer: expires after its time; paused it stands still and resumes with the time left', async () => {
  let expired = 0;
  new NoticeTimer(30, () => expired++);
  await sleep(60);
  assert.equal(expired, 1);

  let paused = 0;
  const t = new NoticeTimer(80, () => paused++);
  await sleep(40);
  t.pause();
  await sleep(120);
  assert.equal(paused, 0, 'paused: it did not expire');
  t.resume();
  await sleep(10);
  assert.equal(paused, 0, 'resumed with about 40 ms left');
  await sleep(80);
  assert.equal(paused, 1);

  let cancelled = 0;
  const c = new NoticeTimer(20, () => cancelled++);
  c.cancel();
  c.resume();
  await sleep(50);
  assert.equal(cancelled, 0);
});
