// lib/shell.js: the notice timer that stands still while paused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { consoleModule } from './console-modules.mjs';

const { NoticeTimer } = await consoleModule('lib/shell.js');

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
