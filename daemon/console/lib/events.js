// The tab's one live feed of GET /api/v1/events (what `kdactl monitor` shows),
// shared by every view: read with fetch() and a ReadableStream because
// EventSource cannot send the Authorization header.
//
//   const feed = new EventFeed({token, onUnauthorized});
//   const unsubscribe = feed.subscribe(({type, id, data}) => ...);
//     type: "session" | "session_ended" | "ledger" | "reset"; data: the parsed JSON (a MonitorEvent, or
//     {reason} for reset, after which kdad sends the sessions under way as "session" events).
//   feed.onState = (state, detail) => ...   "connecting" | "live" | "retrying" | "stopped" | "refused"
//   feed.stop()                              on sign out.
//
// The stream opens with the first subscriber and stays open until stop()
// (the server keeps at most 8 per token). It is never filtered by the
// shell's customer (no ?customer=): views keep what they show. After a drop
// it reconnects with Last-Event-ID, waiting 1 s, then twice as long each
// failure up to 30 s (back to 1 s once a stream is answered); kdad sends the
// missed events, or `event: reset` when it no longer has them all. No byte
// for 45 s (kdad sends a keep-alive every 15 s) counts as a drop. A 401
// calls onUnauthorized (the shell signs out) and stops; another refusal
// (403: the role may not read events) stops too, except 429 and 5xx, retried.
// A 429 (too many streams for the token) or 503 that says Retry-After is
// retried no sooner than that (seconds or an HTTP date, at most 10 min).

import { SseParser } from './sse.js';
import { API_BASE, problemFrom } from './api.js';

export const FEED_TYPES = ['session', 'session_ended', 'ledger', 'reset'];

export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

// A Retry-After header's wait in ms (delay-seconds or an HTTP date, RFC 9110
// 10.2.3), capped at MAX_RETRY_AFTER_MS; 0 when there is none or it is unreadable.
export function retryAfterMs(value, now = Date.now()) {
  if (value === null || value === undefined) return 0;
  const text = String(value).trim();
  let ms;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return 0;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

export class EventFeed {
  constructor({ token, onUnauthorized = () => {}, fetch: fetchImpl, minDelayMs = 1000, maxDelayMs = 30000,
                idleMs = 45000, url = `${API_BASE}/events` } = {}) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
    this.fetch = fetchImpl || ((...args) => globalThis.fetch(...args));
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.idleMs = idleMs;
    this.url = url;
    this.lastEventId = '';
    this.state = 'idle';
    this.onState = null;
    this.subscribers = new Set();
    this.delayMs = minDelayMs;
    this.stopped = false;
    this.running = false;
    this.abort = null;
    this.retryTimer = null;
    this.idleTimer = null;
  }

  subscribe(fn) {
    this.subscribers.add(fn);
    if (!this.running && !this.stopped && this.state !== 'refused') this.#start();
    return () => this.subscribers.delete(fn);
  }

  stop() {
    this.stopped = true;
    this.subscribers.clear();
    clearTimeout(this.retryTimer);
    clearTimeout(this.idleTimer);
    if (this.abort) this.abort.abort();
    this.#setState('stopped');
  }

  #setState(state, detail) {
    if (this.state === state && !detail) return;
    this.state = state;
    if (typeof this.onState === 'function') {
      try { this.onState(state, detail); } catch (e) { console.error('events: onState', e); }
    }
  }

  #start() {
    this.running = true;
    this.#connect();
  }

  #armIdle() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => { if (this.abort) this.abort.abort(new Error('idle')); }, this.idleMs);
  }

  async #connect() {
    if (this.stopped) return;
    this.#setState('connecting');
    const abort = new AbortController();
    this.abort = abort;
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${this.token}` };
    if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
    let retry = true;
    let notBeforeMs = 0;
    try {
      this.#armIdle();
      const response = await this.fetch(this.url, {
        headers, signal: abort.signal, cache: 'no-store', credentials: 'omit', redirect: 'error',
      });
      if (!response.ok) {
        const err = await problemFrom(response);
        if (response.status === 401) {
          retry = false;
          this.running = false;
          this.#setState('stopped', err.message);
          try { this.onUnauthorized(err); } catch { /* the shell's business */ }
        } else if (response.status !== 429 && response.status < 500) {
          retry = false;
          this.running = false;
          this.#setState('refused', err.message);
        } else {
          if (response.status === 429 || response.status === 503) {
            notBeforeMs = retryAfterMs(response.headers.get('Retry-After'));
          }
          this.#setState('retrying', err.message);
        }
        return;
      }
      this.delayMs = this.minDelayMs;
      this.#setState('live');
      await this.#read(response.body);
      if (!this.stopped) this.#setState('retrying', 'the event stream ended');
    } catch (err) {
      if (!this.stopped) this.#setState('retrying', err && err.message ? err.message : String(err));
    } finally {
      clearTimeout(this.idleTimer);
      if (this.abort === abort) this.abort = null;
      if (retry && !this.stopped) this.#retryLater(notBeforeMs);
    }
  }

  #retryLater(notBeforeMs = 0) {
    const wait = Math.max(this.delayMs, notBeforeMs);
    this.delayMs = Math.min(this.delayMs * 2, this.maxDelayMs);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.#connect(), wait);
  }

  async #read(body) {
    const parser = new SseParser();
    parser.lastEventId = this.lastEventId;
    const reader = body.getReader();
    const decoder = new TextDecoder('utf-8');
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.stopped) break;
        this.#armIdle();
        for (const e of parser.push(decoder.decode(value, { stream: true }))) this.#deliver(e);
      }
    } finally {
      try { reader.releaseLock(); } catch { /* already released */ }
    }
  }

  #deliver(e) {
    if (e.id) this.lastEventId = e.id;
    let data = e.data;
    try { data = JSON.parse(e.data); } catch { /* left as text */ }
    const event = { type: e.type, id: e.id, data };
    for (const fn of [...this.subscribers]) {
      try { fn(event); } catch (err) { console.error('events: a subscriber failed', err); }
    }
  }
}
