// The ledger: GET /ledger newest first, a page at a time ("Older" follows
// next_cursor), filtered by device, since and until (the route's filters; the
// shell adds the customer). Entries written while the view is open come in
// live: a "ledger" event makes the view read the newest page again and put
// the entries newer than its first row on top, marked as new for a while.
// (An event's ledger row carries no store id, and the server applies the
// filters, so reading the head again keeps ids and filters exact.)
// Apply and Clear write the filters into the route (#/ledger?device=..&since=ms&until=ms)
// through ctx.navigate, so Back, forward, a reload and a bookmark keep them; the view
// mounts again and reads them from ctx.params.
import { h, clear, errorText, field, formatTime, stateKind, tableWrap } from '../lib/dom.js';

const PAGE_SIZE = 100;
const NEW_MARK_MS = 6000;
const REFRESH_DELAY_MS = 250;  // events of one session come in bursts: one read for a burst
const HEAD_PAGES = 10;         // at most this many pages read to catch up with a burst
const FILTER_KEYS = ['device', 'since', 'until'];

// The control that applied the filters, focused again in the view they mount anew
// (navigating re-mounts the view, and the shell focuses its heading).
let focusAfterMount = null;

function toMs(value, endOfMinute) {
  // <input type="datetime-local">: local time without a zone, minute precision by default.
  if (!value) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  const ms = d.getTime() + (endOfMinute && d.getSeconds() === 0 && d.getMilliseconds() === 0 ? 59_999 : 0);
  return String(ms);
}

// A value for a datetime-local input from a query parameter (ISO or unix ms).
function toLocalInput(param) {
  if (!param) return '';
  const d = /^\d+$/.test(param) ? new Date(Number(param)) : new Date(param);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function rowId(row) {
  return row.id !== undefined && row.id !== null ? String(row.id) : `t${row.time_ms}-${row.device || ''}`;
}

function idNumber(row) {
  const n = Number(row.id);
  return Number.isFinite(n) ? n : null;
}

function detail(row) {
  let text = row.reason || '';
  if (row.refusal && Number(row.count) > 1) {
    const last = formatTime(row.last_ms || row.last);
    text += ` (seen ${row.count} times${last ? `, last ${last}` : ''})`;
  }
  return text;
}

const COLUMNS = [
  { label: 'Time', class: 'ledger-time', render: (r) => h('time', { datetime: r.time || '' }, formatTime(r.time_ms || r.time)) },
  { label: 'Device', class: 'ledger-device', render: (r) => r.device || '' },
  { label: 'Customer', class: 'ledger-customer', render: (r) => r.customer || '' },
  { label: 'Outcome', class: 'ledger-outcome', render: (r) => r.state || '' },
  { label: 'Transport', class: 'ledger-transport', render: (r) => r.transport || '' },
  { label: 'Session · SAS', class: 'ledger-session',
    render: (r) => [r.session || '', r.sas ? h('span', { class: 'ledger-sas' }, r.sas) : null] },
  { label: 'Profile', class: 'ledger-profile', render: (r) => r.profile || '' },
  { label: 'Desk', class: 'ledger-desk', render: (r) => r.desk || '' },
  { label: 'Who / detail', class: 'ledger-detail', render: detail },
];

function rowElement(row) {
  const kind = stateKind(row.state);
  return h('tr', { 'data-entry': rowId(row), class: [`ledger-kind-${kind}`, row.refusal && 'ledger-refusal'] },
    COLUMNS.map((c) => h('td', { class: c.class }, c.render(row))));
}

export default {
  id: 'ledger',
  title: 'Ledger',
  roles: ['msp-admin', 'customer-admin', 'desk-operator', 'viewer'],

  async mount(root, ctx) {
    root.dataset.ready = 'false';
    let gone = false;
    let filters = {};       // the applied ones, as query parameters
    let cursor;             // next_cursor of the last page shown
    let topId = null;       // the newest entry's id shown
    let shown = 0;
    let generation = 0;     // a reload makes the answers of older reads stale
    let refreshTimer = null;
    let refreshing = false;
    let refreshAgain = false;
    const rows = new Map(); // row id -> {tr, json}
    const marks = new Set();

    // ---- filters ----
    const device = h('input', { type: 'search', name: 'device', autocomplete: 'off', spellcheck: 'false',
      value: ctx.params.get('device') || '' });
    const since = h('input', { type: 'datetime-local', name: 'since', value: toLocalInput(ctx.params.get('since')) });
    const until = h('input', { type: 'datetime-local', name: 'until', value: toLocalInput(ctx.params.get('until')) });
    const apply = h('button', { type: 'submit', id: 'ledger-apply', class: 'primary' }, 'Apply');
    const reset = h('button', { type: 'button', id: 'ledger-clear', class: 'secondary' }, 'Clear');
    const form = h('form', { id: 'ledger-filters', class: 'ledger-filters', 'aria-label': 'Ledger filters' },
      field({ id: 'ledger-device', label: 'Device', control: device, hint: 'Any key: IMEI, MEID or serial' }),
      field({ id: 'ledger-since', label: 'Since (local time)', control: since }),
      field({ id: 'ledger-until', label: 'Until (local time)', control: until }),
      h('div', { class: 'ledger-filter-buttons' }, apply, reset));

    // ---- table ----
    const tbody = h('tbody', {});
    const emptyRow = h('tr', { class: 'empty-row' },
      h('td', { colspan: COLUMNS.length }, 'No ledger entries match.'));
    const tableEl = h('table', { id: 'ledger-table', class: 'ledger-table compact' },
      h('caption', { class: 'visually-hidden' }, 'Ledger entries, newest first'),
      h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      tbody);
    const summary = h('p', { id: 'ledger-summary', class: 'ledger-summary', role: 'status' });
    const older = h('button', { type: 'button', id: 'ledger-older', class: 'secondary' }, 'Older');
    older.hidden = true;

    root.append(
      h('h1', {}, 'Ledger'),
      form,
      summary,
      tableWrap('Ledger entries', tableEl),  // a focusable region: a keyboard scrolls a table wider than a tablet
      h('div', { class: 'ledger-more' }, older));

    function readFilters() {
      const out = {};
      const key = device.value.trim();
      if (key) out.device = key;
      const s = toMs(since.value, false);
      const u = toMs(until.value, true);
      if (since.value && !s) throw new Error('Since is not a date and time');
      if (until.value && !u) throw new Error('Until is not a date and time');
      if (s && u && Number(s) > Number(u)) throw new Error('Since is after Until');
      if (s) out.since = s;
      if (u) out.until = u;
      return out;
    }

    function renderSummary() {
      const filtered = Object.keys(filters).length > 0;
      summary.textContent = shown === 0 ? ''
        : `${shown} ${shown === 1 ? 'entry' : 'entries'} shown, newest first${filtered ? ' (filtered)' : ''}` +
          (cursor ? '; older ones follow with "Older".' : '.');
      older.hidden = !cursor;
      emptyRow.hidden = shown > 0;
      if (shown === 0 && emptyRow.parentNode !== tbody) tbody.append(emptyRow);
    }

    function addRows(entries, where) {
      const fresh = [];
      for (const row of entries) {
        const id = rowId(row);
        const json = JSON.stringify(row);
        const known = rows.get(id);
        if (known) {
          if (known.json !== json) {  // a refusal counted again: the same entry, a new count
            const tr = rowElement(row);
            known.tr.replaceWith(tr);
            rows.set(id, { tr, json });
          }
          continue;
        }
        const tr = rowElement(row);
        rows.set(id, { tr, json });
        fresh.push(tr);
        const n = idNumber(row);
        if (n !== null && (topId === null || n > topId)) topId = n;
      }
      if (where === 'top') tbody.prepend(...fresh);
      else tbody.append(...fresh);
      shown = rows.size;
      return fresh;
    }

    async function reload() {
      const mine = ++generation;
      root.dataset.ready = 'false';
      older.disabled = true;
      try {
        const page = await ctx.api.get('/ledger', { ...filters, page_size: PAGE_SIZE });
        if (gone || mine !== generation) return;
        clear(tbody);
        rows.clear();
        topId = null;
        addRows(page.entries || [], 'bottom');
        cursor = page.next_cursor;
      } catch (err) {
        if (gone || mine !== generation) return;
        clear(tbody);
        rows.clear();
        shown = 0;
        cursor = undefined;
        ctx.notify(`Ledger: ${errorText(err)}`, 'error');
      }
      older.disabled = false;
      renderSummary();
      root.dataset.ready = 'true';
    }

    async function loadOlder() {
      if (!cursor) return;
      const mine = generation;
      older.disabled = true;
      root.dataset.ready = 'false';
      try {
        const page = await ctx.api.get('/ledger', { ...filters, page_size: PAGE_SIZE, cursor });
        if (gone || mine !== generation) return;
        addRows(page.entries || [], 'bottom');
        cursor = page.next_cursor;
      } catch (err) {
        if (!gone) ctx.notify(`Ledger: ${errorText(err)}`, 'error');
      }
      if (gone || mine !== generation) return;
      older.disabled = false;
      renderSummary();
      root.dataset.ready = 'true';
      if (!older.hidden) older.focus();
    }

    function markNew(trs) {
      for (const tr of trs) {
        tr.classList.add('ledger-new');
        marks.add(tr);
      }
      if (trs.length) {
        setTimeout(() => {
          for (const tr of trs) { tr.classList.remove('ledger-new'); marks.delete(tr); }
        }, NEW_MARK_MS);
      }
    }

    // The newest entries again, down to the first one shown (a few pages at most).
    async function refreshHead() {
      if (refreshing) { refreshAgain = true; return; }
      refreshing = true;
      const mine = generation;
      try {
        const collected = [];
        let next;
        for (let i = 0; i < HEAD_PAGES; i += 1) {
          const page = await ctx.api.get('/ledger', { ...filters, page_size: PAGE_SIZE, cursor: next });
          if (gone || mine !== generation) return;
          const entries = page.entries || [];
          collected.push(...entries);
          next = page.next_cursor;
          const reached = topId === null || entries.some((r) => idNumber(r) !== null && idNumber(r) <= topId);
          if (reached || !next) break;
        }
        const wasEmpty = rows.size === 0;
        const newer = collected.filter((r) => topId === null || idNumber(r) === null || idNumber(r) > topId || rows.has(rowId(r)));
        const fresh = addRows(newer, 'top');
        if (wasEmpty && next && cursor === undefined) cursor = next;
        markNew(fresh);
        if (fresh.length) emptyRow.remove();
        renderSummary();
      } catch (err) {
        if (!gone) ctx.notify(`Ledger: ${errorText(err)}`, 'error');
      } finally {
        refreshing = false;
        if (refreshAgain && !gone) { refreshAgain = false; scheduleRefresh(); }
      }
    }

    function scheduleRefresh() {
      if (refreshTimer) return;
      refreshTimer = setTimeout(() => { refreshTimer = null; refreshHead(); }, REFRESH_DELAY_MS);
    }

    function excludedByFilters(row) {
      // Only what can be told here for sure: the shell's customer (the stream is never filtered by it;
      // an absent customer is the desk's own) and an Until in the past. The rest the server decides.
      if (row && typeof ctx.customer === 'string' && (row.customer || '') !== ctx.customer) return true;
      if (filters.until && Number(filters.until) < Date.now()) return true;
      if (filters.until && row && Number(row.time_ms) > Number(filters.until)) return true;
      return false;
    }

    // The route's other parameters (the shell's) kept, the filters replaced.
    function route(wanted, focusId) {
      const params = {};
      for (const [k, v] of ctx.params) if (!FILTER_KEYS.includes(k)) params[k] = v;
      Object.assign(params, wanted);
      focusAfterMount = focusId;
      ctx.navigate('ledger', params);  // mounts the view again, also for the same filters (a reload)
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      let wanted;
      try {
        wanted = readFilters();
      } catch (err) {
        ctx.notify(errorText(err), 'error');
        return;
      }
      route(wanted, 'ledger-apply');
    });
    reset.addEventListener('click', () => route({}, 'ledger-clear'));
    older.addEventListener('click', loadOlder);

    const unsubscribe = ctx.events.subscribe((e) => {
      if (gone) return;
      if (e.type === 'reset') { reload(); return; }
      if (e.type !== 'ledger') return;
      if (excludedByFilters(e.data && e.data.ledger)) return;
      scheduleRefresh();
    });

    try {
      filters = readFilters();
    } catch {
      filters = {};
    }
    const refocus = focusAfterMount;
    focusAfterMount = null;
    await reload();
    if (refocus && !gone) {
      const el = root.querySelector(`#${refocus}`);
      if (el) el.focus();
    }

    return () => {
      gone = true;
      unsubscribe();
      if (refreshTimer) clearTimeout(refreshTimer);
    };
  },
};
