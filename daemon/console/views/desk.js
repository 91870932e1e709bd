// The live desk: the sessions under way (GET /sessions, then the events
// stream), their SAS codes large, Confirm/Reject for a session waiting for
// the admin, and today's counts per ledger state.
//
// The session states are the strings kdad's sessions answer prints
// (ControlService::sessions): handshake, enrolling, awaiting confirmation,
// sending package. A session's outcome is the ledger row naming it.
//
// The desk shows every phone at it, whatever customer the shell's selector
// names (customer: null on each request, and the events stream is never
// filtered by it): whoever stands at the desk confirms them all. The token's
// own reach still applies on the server.
import { h, clear, errorText, formatAge, confirmDialog, todayMs } from '../lib/dom.js';

const STEPS = ['handshake', 'enrolling', 'awaiting confirmation', 'sending package'];
// Ledger states that end a session (daemon/src/model/device_state.cc).
const OUTCOMES = ['Provisioned', 'Failed to provision', 'Cancelled by user', 'Rejected'];
const ENDED_KEPT_MS = 8000;   // how long an ended session's card stays (with its outcome)
const FADE_MS = 600;          // matches the fade in desk.css
const SOUND_KEY = 'kda.desk.sound';
const TITLE_COUNT = /^\(\d+\)\s*/;

function digits(sas) {
  return String(sas || '').replace(/\D/g, '');
}

// A ledger row's identity for counting: a refusal counted again comes back
// as the same row (same first time) with a higher count.
function ledgerKey(row) {
  const parts = [row.time_ms, row.device, row.state, row.primary];
  if (!row.refusal) parts.push(row.session);  // a repeat may name the session that was refused again
  return parts.map((v) => String(v ?? '')).join('|');
}

// Rows of today's counts: what sessions at the desk came to (not admin edits).
function counted(row) {
  return Boolean(row && row.state && row.session && !row.event);
}

function outcomeClass(state) {
  if (state === 'Provisioned') return 'outcome-ok';
  if (OUTCOMES.includes(state)) return 'outcome-bad';
  return 'outcome-info';
}

// A short beep with WebAudio (no audio files). The context is made on the
// checkbox's change, a user gesture, so browsers let it play later.
class Beeper {
  constructor() { this.audio = null; this.last = 0; }
  enable() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return false;
    if (!this.audio) this.audio = new Ctx();
    if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    return true;
  }
  beep() {
    if (!this.audio || Date.now() - this.last < 1000) return;  // a burst of phones: one beep
    this.last = Date.now();
    const t = this.audio.currentTime;
    for (const start of [0, 0.22]) {
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + start);
      gain.gain.exponentialRampToValueAtTime(0.25, t + start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.16);
      osc.connect(gain).connect(this.audio.destination);
      osc.start(t + start);
      osc.stop(t + start + 0.18);
    }
  }
  close() {
    if (this.audio) this.audio.close().catch(() => {});
    this.audio = null;
  }
}

function readSoundSetting() {
  try { return localStorage.getItem(SOUND_KEY) === 'on'; } catch { return false; }
}
function writeSoundSetting(on) {
  try { localStorage.setItem(SOUND_KEY, on ? 'on' : 'off'); } catch { /* private mode: not kept */ }
}

function setTitleCount(n) {
  const base = document.title.replace(TITLE_COUNT, '');
  const want = n > 0 ? `(${n}) ${base}` : base;
  if (document.title !== want) document.title = want;
}

export default {
  id: 'desk',
  title: 'Desk',
  roles: ['msp-admin', 'customer-admin', 'desk-operator', 'viewer'],

  async mount(root, ctx) {
    root.dataset.ready = 'false';
    const canConfirm = ctx.can('confirm');
    const cards = new Map();      // session id -> {row, el, got, ended, outcome, busy, timer}
    const counts = new Map();     // ledger state -> count (today)
    const countedKeys = new Set();
    let day = todayMs();
    let loading = 0;
    let queued = [];
    let gone = false;
    const beeper = new Beeper();

    // Heading area: title, the waiting count, the sound toggle.
    const waitingNote = h('p', { id: 'desk-waiting', class: 'desk-waiting', role: 'status' });
    const sound = h('input', { type: 'checkbox', id: 'desk-sound' });
    sound.checked = false;
    if (readSoundSetting()) sound.checked = true;  // the beep still needs a gesture to start the audio
    sound.addEventListener('change', () => {
      writeSoundSetting(sound.checked);
      if (sound.checked && !beeper.enable()) {
        ctx.notify('This browser cannot play sounds (no WebAudio).', 'error');
        sound.checked = false;
      }
    });
    // What a screen reader user at the desk cannot see change: a new code, an outcome.
    // A log (polite): each message is its own line, so two at once are both read.
    const announcer = h('div', { id: 'desk-announce', class: 'visually-hidden', role: 'log', 'aria-live': 'polite' });
    const announced = new Set();  // "<session>|sas|<code>", "<session>|outcome|<state>": each once
    const header = h('div', { class: 'desk-header' },
      h('h1', {}, 'Desk'),
      waitingNote,
      announcer,
      ctx.customer !== null && ctx.customer !== undefined
        ? h('p', { class: 'desk-scope' }, "Every customer's phones at this desk") : null,
      h('div', { class: 'desk-sound' }, sound, h('label', { for: 'desk-sound' }, 'Beep when a phone waits')));

    const countsList = h('dl', { id: 'desk-counts', class: 'desk-counts' });
    const countsNote = h('p', { class: 'desk-counts-note' });
    const countsSection = h('section', { class: 'desk-today', 'aria-labelledby': 'desk-today-title' },
      h('h2', { id: 'desk-today-title' }, 'Today'), countsList, countsNote);

    const list = h('ul', { id: 'desk-sessions', class: 'session-list' });
    const empty = h('p', { class: 'desk-empty' }, 'Waiting for phones: put one in its setup menu near the desk.');
    const sessionsTitle = h('h2', { id: 'desk-sessions-title', tabindex: '-1' }, 'Phones at the desk');
    const sessionsSection = h('section', { class: 'desk-sessions', 'aria-labelledby': 'desk-sessions-title' },
      sessionsTitle, empty, list);

    root.append(header, sessionsSection, countsSection);
    // A beep the setting kept from an earlier visit needs a gesture on this page to start the audio.
    const wake = () => { if (sound.checked) beeper.enable(); };
    root.addEventListener('pointerdown', wake);
    root.addEventListener('keydown', wake);

    // ---- today's counts ----
    function renderCounts() {
      clear(countsList);
      const states = [...OUTCOMES, ...[...counts.keys()].filter((s) => !OUTCOMES.includes(s)).sort()];
      for (const state of states) {
        countsList.append(h('div', { class: `desk-count ${outcomeClass(state)}` },
          h('dt', {}, state),
          h('dd', { 'data-count': state }, String(counts.get(state) || 0))));
      }
    }

    function countRow(row) {
      if (!counted(row)) return;
      const when = Number(row.time_ms);
      if (Number.isFinite(when) && when < day) return;
      const key = ledgerKey(row);
      if (countedKeys.has(key)) return;
      countedKeys.add(key);
      counts.set(row.state, (counts.get(row.state) || 0) + 1);
    }

    async function loadCounts() {
      day = todayMs();
      const fresh = new Map();
      const keys = new Set();
      let cursor;
      let pages = 0;
      do {
        const page = await ctx.api.get('/ledger', { since: String(day), page_size: 1000, cursor, customer: null });
        for (const row of page.entries || []) {
          if (!counted(row)) continue;
          const key = ledgerKey(row);
          if (keys.has(key)) continue;
          keys.add(key);
          fresh.set(row.state, (fresh.get(row.state) || 0) + 1);
        }
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < 50 && !gone);
      counts.clear();
      for (const [k, v] of fresh) counts.set(k, v);
      countedKeys.clear();
      for (const k of keys) countedKeys.add(k);
      countsNote.textContent = cursor ? 'More than 50,000 entries today: the counts are of the newest 50,000.' : '';
      renderCounts();
    }

    // ---- session cards ----
    function ageOf(card) {
      const base = Number(card.row.age_seconds || 0);
      return Math.max(0, Math.floor(base + (Date.now() - card.got) / 1000));
    }

    function waitingCount() {
      let n = 0;
      for (const c of cards.values()) if (!c.ended && c.row.waiting_for_confirmation) n += 1;
      return n;
    }

    function announce(key, text) {
      if (announced.has(key)) return;
      announced.add(key);
      announcer.append(h('p', {}, text));
      while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
    }

    // "Phone SM-G991B (session 12)" as the card's heading names it.
    function phoneName(row) {
      return `${row.model || 'Phone'} (session ${row.id})`;
    }

    function renderHeading() {
      const n = waitingCount();
      const text = n === 0 ? '' : n === 1 ? '1 phone waits for you' : `${n} phones wait for you`;
      if (waitingNote.textContent !== text) waitingNote.textContent = text;  // the same text again is not news
      waitingNote.classList.toggle('has-waiting', n > 0);
      setTitleCount(n);
      empty.hidden = cards.size > 0;
    }

    // Steps the session went through are done; once it has its outcome, the
    // ones it never reached (a refusal, no confirmation needed) are skipped.
    function steps(card) {
      const final = card.outcome && OUTCOMES.includes(card.outcome.state);
      const at = final ? STEPS.length : STEPS.indexOf(card.row.state || '');
      const ol = h('ol', { class: 'session-steps', 'aria-label': 'Progress' });
      const names = [...STEPS, final ? card.outcome.state : 'done'];
      names.forEach((name, i) => {
        let cls = i < at ? 'step-done' : i === at ? 'step-current' : 'step-todo';
        if (final && i < STEPS.length && (i > card.furthest || (name === 'awaiting confirmation' && !card.seen.has(name)))) {
          cls = 'step-skipped';
        }
        const li = h('li', { class: `session-step ${cls}` }, name);
        if (cls === 'step-skipped') li.append(h('span', { class: 'visually-hidden' }, ' (skipped)'));
        if (i === at) li.setAttribute('aria-current', 'step');
        if (i === STEPS.length && final) li.classList.add(outcomeClass(card.outcome.state));
        ol.append(li);
      });
      return ol;
    }

    function fact(label, value) {
      if (value === undefined || value === null || value === '') return null;
      return h('div', { class: 'session-fact' }, h('dt', {}, label), h('dd', {}, String(value)));
    }

    function sasBlock(row) {
      const code = digits(row.sas);
      if (!code) return h('p', { class: 'sas-pending' }, 'The code shows once the handshake is done.');
      // Two halves, as the phone shows "948 138"; textContent stays the bare digits.
      const half = Math.ceil(code.length / 2);
      return h('div', { class: 'sas-block' },
        h('span', { class: 'sas-label' }, 'SAS code'),
        h('span', { class: 'sas' },
          h('span', { class: 'sas-part' }, code.slice(0, half)),
          h('span', { class: 'sas-part' }, code.slice(half))));
    }

    async function decide(card, action) {
      const id = card.row.id;
      if (action === 'reject') {
        const sure = await confirmDialog('Reject this phone?',
          `Session ${id}: the device is refused and recorded as Rejected. It may try again later.`, 'Reject',
          { danger: true });
        if (!sure || gone) return;
      }
      card.busy = true;
      card.refocus = action;  // when the card is usable again (a failure), back to this button
      renderCard(card);
      try {
        const path = `/sessions/${encodeURIComponent(id)}/${action}`;
        await ctx.api.post(path, {}, { customer: null });
        ctx.notify(action === 'confirm' ? `Session ${id} confirmed: its package goes out.`
          : `Session ${id} rejected.`, 'success');
      } catch (err) {
        ctx.notify(`${action === 'confirm' ? 'Confirm' : 'Reject'} failed: ${errorText(err)}`, 'error');
        card.busy = false;
      }
      if (!gone && cards.get(id) === card) renderCard(card);
    }

    function actions(card) {
      const row = card.row;
      if (card.ended || !row.waiting_for_confirmation) return null;
      if (!canConfirm) {
        return h('p', { class: 'session-instruction' }, 'This phone waits for someone at the desk to confirm its code.');
      }
      const confirm = h('button', { type: 'button', class: 'primary', 'data-action': 'confirm',
        onclick: () => decide(card, 'confirm') }, 'Confirm');
      const reject = h('button', { type: 'button', class: 'danger', 'data-action': 'reject',
        onclick: () => decide(card, 'reject') }, 'Reject');
      if (card.busy) { confirm.disabled = true; reject.disabled = true; }
      return h('div', { class: 'session-decision' },
        h('p', { class: 'session-instruction' }, 'Confirm only if the phone shows the same code.'),
        h('div', { class: 'session-buttons' }, confirm, reject));
    }

    function renderCard(card) {
      const row = card.row;
      // Keep the keyboard where it was across a re-render.
      const had = card.el.contains(document.activeElement) ? document.activeElement : null;
      const focused = had ? (had.dataset.action || (had.classList.contains('session-title') ? 'title' : 'other')) : null;
      clear(card.el);
      const titleId = `session-${row.id}-title`;
      card.el.classList.toggle('waiting', Boolean(row.waiting_for_confirmation) && !card.ended);
      card.el.classList.toggle('ended', card.ended);
      const outcome = card.outcome
        ? h('p', { class: `session-outcome ${outcomeClass(card.outcome.state)}` },
          h('strong', {}, card.outcome.state), card.outcome.reason ? ` · ${card.outcome.reason}` : '')
        : null;
      card.el.append(...[
        h('div', { class: 'session-head' },
          h('h3', { id: titleId, class: 'session-title', tabindex: '-1' }, row.model || 'Phone', ' ',
            h('span', { class: 'session-id' }, `session ${row.id}`)),
          h('span', { class: 'badge session-transport' }, row.transport || '?')),
        h('p', { class: 'session-state' }, card.ended ? 'ended' : (row.state || '')),
        steps(card),
        sasBlock(row),
        actions(card),
        outcome,
        h('dl', { class: 'session-facts' },
          fact('Device', row.device || 'not yet claimed'),
          fact('Model', row.model),
          fact('Serial', row.serial),
          fact('Peer', row.peer),
          fact('Customer', row.customer),
          fact('Desk', row.desk),
          h('div', { class: 'session-fact' }, h('dt', {}, 'Age'),
            h('dd', { class: 'session-age' }, formatAge(ageOf(card))))),
      ].filter(Boolean));  // Element.append would write null as text
      if (focused) restoreFocus(card, focused);
    }

    // The keyboard stays in the card: on the button it was on when that is still there and
    // usable (or the one a failed decision was made with), else on the card's heading, which
    // names the phone (a disabled or vanished button would drop the focus to <body>).
    function restoreFocus(card, focused) {
      const usable = (action) => {
        const b = action && card.el.querySelector(`button[data-action="${action}"]`);
        return b && !b.disabled ? b : null;
      };
      let target = null;
      if (!card.busy && card.refocus) target = usable(card.refocus);
      if (!target && focused !== 'title') target = usable(focused);
      if (!card.busy) card.refocus = null;
      (target || card.el.querySelector('.session-title')).focus();
    }

    // A card that had the focus leaves: on to the next phone waiting (its Confirm, or its
    // heading where this role cannot confirm), else the list's heading.
    function focusAfterLeaving(gone) {
      const next = [...cards.values()].find((c) => c !== gone && !c.ended && c.row.waiting_for_confirmation);
      const target = next && (next.el.querySelector('button[data-action="confirm"]:not(:disabled)')
        || next.el.querySelector('.session-title'));
      (target || sessionsTitle).focus();
    }

    function place(card) {
      // Waiting phones first, then the newest.
      const order = [...cards.values()].sort((a, b) => {
        const wa = a.row.waiting_for_confirmation && !a.ended ? 0 : 1;
        const wb = b.row.waiting_for_confirmation && !b.ended ? 0 : 1;
        if (wa !== wb) return wa - wb;
        return Number(b.row.started_ms || 0) - Number(a.row.started_ms || 0);
      });
      const at = order.indexOf(card);
      const next = order[at + 1];
      if (card.el.parentNode !== list || card.el.nextSibling !== (next ? next.el : null)) {
        // Moving an element takes the focus from what it holds: given back after the move.
        const had = card.el.contains(document.activeElement) ? document.activeElement : null;
        list.insertBefore(card.el, next && next.el.parentNode === list ? next.el : null);
        if (had && had.isConnected && document.activeElement !== had) had.focus();
      }
    }

    function upsert(row, fromEvent) {
      if (!row || !row.id) return;
      let card = cards.get(row.id);
      const wasWaiting = card ? Boolean(card.row.waiting_for_confirmation) && !card.ended : false;
      if (!card) {
        card = { row, el: h('li', { class: 'session-card', 'data-session': row.id }), got: Date.now(),
          ended: false, outcome: null, busy: false, refocus: null, timer: null, seen: new Set(), furthest: -1 };
        cards.set(row.id, card);
      } else {
        if (card.timer) { clearTimeout(card.timer); card.timer = null; }
        card.el.classList.remove('leaving');
        card.row = row;
        card.got = Date.now();
        card.ended = false;
        if (!row.waiting_for_confirmation) card.busy = false;
      }
      card.seen.add(row.state);
      card.furthest = Math.max(card.furthest, STEPS.indexOf(row.state || ''));
      renderCard(card);
      place(card);
      // A code that shows while the desk is open (the first one, or a new one for the same card).
      const code = digits(row.sas);
      if (!fromEvent && code) announced.add(`${row.id}|sas|${code}`);  // read with the page, not news
      if (fromEvent && code) {
        announce(`${row.id}|sas|${code}`, `${phoneName(row)}: code ${code.split('').join(' ')}`
          + (row.waiting_for_confirmation ? ', waiting for confirmation.' : '.'));
      }
      if (fromEvent && sound.checked && row.waiting_for_confirmation && !wasWaiting) beeper.beep();
    }

    function end(row) {
      const card = row && cards.get(row.id);
      if (!card || card.ended) return;
      card.ended = true;
      card.busy = false;
      renderCard(card);
      place(card);
      card.timer = setTimeout(() => {
        card.el.classList.add('leaving');
        card.timer = setTimeout(() => {
          if (cards.get(row.id) !== card) return;
          cards.delete(row.id);
          const hadFocus = card.el.contains(document.activeElement);
          card.el.remove();
          if (hadFocus) focusAfterLeaving(card);
          renderHeading();
        }, FADE_MS);
      }, ENDED_KEPT_MS);
    }

    function ledger(row) {
      if (!row) return;
      if (todayMs() !== day) {
        reloadCounts();
        return;
      }
      countRow(row);
      renderCounts();
      const card = row.session ? cards.get(row.session) : null;
      if (card && row.state) {
        card.outcome = { state: row.state, reason: row.reason || '' };
        renderCard(card);
        if (OUTCOMES.includes(row.state)) {
          announce(`${card.row.id}|outcome|${row.state}`,
            `${phoneName(card.row)}: ${row.state}${row.reason ? `, ${row.reason}` : ''}.`);
        }
      }
    }

    function apply(e) {
      const data = e.data || {};
      if (e.type === 'session') upsert(data.session, true);
      else if (e.type === 'session_ended') end(data.session);
      else if (e.type === 'ledger') ledger(data.ledger);
      renderHeading();
    }

    async function loadSessions() {
      const answer = await ctx.api.get('/sessions', { customer: null });
      const rows = answer.sessions || [];
      const now = new Set(rows.map((r) => r.id));
      for (const [id, card] of cards) {
        if (!now.has(id) && !card.ended) end(card.row);
      }
      for (const row of rows) upsert(row, false);
    }

    // Reads (again): events that arrive meanwhile wait, then apply in order.
    async function load(what) {
      loading += 1;
      root.dataset.ready = 'false';
      try {
        await Promise.all(what.map((f) => f()));
      } catch (err) {
        if (!gone) ctx.notify(`Desk: ${errorText(err)}`, 'error');
      } finally {
        loading -= 1;
      }
      if (gone || loading > 0) return;
      const pending = queued;
      queued = [];
      for (const e of pending) apply(e);
      renderCounts();
      renderHeading();
      root.dataset.ready = 'true';
    }

    function reloadCounts() { load([loadCounts]); }

    const unsubscribe = ctx.events.subscribe((e) => {
      if (gone) return;
      if (e.type === 'reset') {
        load([loadSessions, loadCounts]);
        return;
      }
      if (loading > 0) queued.push(e);
      else apply(e);
    });

    // Ages tick; the title count is re-applied in case the shell set the title anew.
    const ticker = setInterval(() => {
      for (const card of cards.values()) {
        const age = card.el.querySelector('.session-age');
        if (age && !card.ended) age.textContent = formatAge(ageOf(card));
      }
      setTitleCount(waitingCount());
      if (todayMs() !== day && loading === 0) reloadCounts();
    }, 1000);

    renderCounts();
    renderHeading();
    await load([loadSessions, loadCounts]);

    return () => {
      gone = true;
      unsubscribe();
      clearInterval(ticker);
      for (const card of cards.values()) if (card.timer) clearTimeout(card.timer);
      beeper.close();
      setTitleCount(0);
    };
  },
};
