// The customers view (msp-admin): the MSP portal's customer table. Columns the
// admin chooses (kept in localStorage), per customer what needs attention
// (uploads awaiting approval, enrollments that failed today), the filter,
// sorting, the refresh on ledger events and every 30 s, and the KME customer
// CSV. The add/link/edit forms and the row actions (upgrade, the delink steps
// that are the MSP's, link again) are in customer_forms.js.
import { h, clear, formatTime, downloadBlob, errorText, badge, todayMs } from '../lib/dom.js';
import { SIZES, FULLY, JOINTLY, dash, orDash, customerForms } from './customer_forms.js';

const COLUMNS_KEY = 'kda.console.customers.columns';
const ACTIVE = 'Active';
const DELINK_REQUESTED = 'Delink requested';
const DELINKED = 'Delinked';
const PENDING_APPROVAL = 'Pending customer approval';
// A ledger row that counts as a failed enrollment: an attempt that ended Failed
// or cancelled on the device (device_state.cc's names), or a refusal (a claim
// refused, a session the desk rejected).
const failedEnrollment = (row) => Boolean(row.refusal) || row.state === 'Failed to provision' ||
  (Boolean(row.session) && row.state === 'Cancelled by user');
const LEDGER_PAGE = 1000;
const LEDGER_PAGES = 5;  // beyond 5,000 rows today the count reads "5000+"
const PARALLEL = 4;      // attention requests at once
const LIST_REFRESH_MS = 30_000;

// A date cell: the day, the full local time on hover and for assistive technology.
const dateOf = (ms) => (ms ? h('time', { datetime: new Date(Number(ms)).toISOString(), title: formatTime(ms) },
  formatTime(ms).slice(0, 10)) : dash);
const contactName = (c) => [c.contact?.first_name, c.contact?.last_name].filter(Boolean).join(' ');
// The MSP reaches a customer's data only while it is Active or a delink is merely requested.
const reachable = (c) => c.status === ACTIVE || c.status === DELINK_REQUESTED;

// Every column the CustomerInfo rows have. Company name (the row header) and
// the actions are always shown; the chooser toggles the rest.
const COLUMNS = [
  { id: 'status', label: 'Status', shown: true, value: (c) => c.status, cell: (c) => statusBadge(c.status) },
  { id: 'id', label: 'Customer ID', shown: true, value: (c) => c.id },
  { id: 'management', label: 'Management', shown: true, value: (c) => c.management },
  { id: 'devices', label: 'Devices', shown: true, numeric: true,
    value: (c) => (reachable(c) ? Number(c.devices || 0) : -1), cell: (c) => (reachable(c) ? String(c.devices || 0) : dash) },
  { id: 'pending', label: 'Awaiting approval', shown: true, numeric: true, attention: true,
    value: (c, a) => a?.pending ?? -1, cell: (c, a) => pendingCell(c, a) },
  { id: 'failed', label: 'Failed today', shown: true, numeric: true, attention: true,
    value: (c, a) => a?.failed ?? -1, cell: (c, a) => failedCell(c, a) },
  { id: 'size', label: 'Size', value: (c) => SIZES.indexOf(c.size), cell: (c) => orDash(c.size) },
  { id: 'industry', label: 'Industry', value: (c) => c.industry || '' },
  { id: 'country', label: 'Country', value: (c) => c.country || '' },
  { id: 'city', label: 'City', value: (c) => c.city || '' },
  { id: 'contact', label: 'Contact', value: (c) => contactName(c) },
  { id: 'email', label: 'Email', value: (c) => c.contact?.email || '' },
  { id: 'phone', label: 'Phone', value: (c) => c.contact?.phone || '' },
  { id: 'job_title', label: 'Job title', value: (c) => c.contact?.job_title || '' },
  { id: 'website', label: 'Website', value: (c) => c.website || '' },
  { id: 'created', label: 'Created', shown: true, value: (c) => Number(c.created_ms || 0), cell: (c) => dateOf(c.created_ms) },
  { id: 'modified', label: 'Modified', shown: true, value: (c) => Number(c.modified_ms || 0), cell: (c) => dateOf(c.modified_ms) },
  { id: 'msp_linked', label: 'MSP linked', value: (c) => Number(c.msp_linked_ms || 0), cell: (c) => dateOf(c.msp_linked_ms) },
];

function statusBadge(status) {
  return status ? badge(status) : dash;
}

// Opens another view for one customer: the shell's selector switches to it
// first (ctx.chooseCustomer), so the view reads that customer's data; where
// the selector cannot name it, the plain link.
let chooseCustomer = () => false;

function forCustomer(id, viewId, params) {
  return (e) => {
    if (chooseCustomer(id, viewId, params)) e.preventDefault();
  };
}

function pendingCell(c, a) {
  if (!reachable(c)) return dash;
  if (!a || a.pending === null || a.pending === undefined) return a?.error ? h('span', { title: a.error }, '?') : '…';
  if (a.pending === 0) return '0';
  const hash = `#/uploads?customer=${encodeURIComponent(c.id)}`;
  return h('a', { href: hash, onclick: forCustomer(c.id, 'uploads', { customer: c.id }), class: 'customers-attention',
    'data-attention': 'pending', 'aria-label': `${a.pending} awaiting approval for ${c.company_name}: review uploads` },
    String(a.pending));
}

function failedCell(c, a) {
  if (!reachable(c)) return dash;
  if (!a || a.failed === null || a.failed === undefined) return a?.error ? h('span', { title: a.error }, '?') : '…';
  if (a.failed === 0) return '0';
  const text = a.failedMore ? `${a.failed}+` : String(a.failed);
  const since = new Date(todayMs()).toISOString();
  const hash = `#/ledger?customer=${encodeURIComponent(c.id)}&since=${encodeURIComponent(since)}`;
  return h('a', { href: hash, onclick: forCustomer(c.id, 'ledger', { customer: c.id, since }), class: 'customers-attention', 'data-attention': 'failed',
    'aria-label': `${text} failed enrollments today for ${c.company_name}: open the ledger` }, text);
}

// Runs fn over items, at most `limit` at once.
async function eachLimited(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function loadColumns() {
  try {
    const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) || 'null');
    if (Array.isArray(saved)) return new Set(saved.filter((id) => COLUMNS.some((c) => c.id === id)));
  } catch { /* unreadable: the defaults */ }
  return new Set(COLUMNS.filter((c) => c.shown).map((c) => c.id));
}

function saveColumns(shown) {
  try { localStorage.setItem(COLUMNS_KEY, JSON.stringify([...shown])); } catch { /* private mode: not kept */ }
}

export default {
  id: 'customers',
  title: 'Customers',
  roles: ['msp-admin'],

  async mount(root, ctx) {
    const { api } = ctx;
    chooseCustomer = ctx.chooseCustomer || (() => false);
    const state = {
      customers: [],
      attention: new Map(),  // id -> {pending, failed, failedMore, error}
      shown: loadColumns(),
      filter: '',
      sort: { id: 'company_name', dir: 1 },
      loadError: '',
    };
    let alive = true;
    let reloadTimer = null;
    const attentionDue = new Set();

    const status = h('p', { class: 'customers-status-line', role: 'status' });
    const panel = h('section', { class: 'customers-panel', id: 'customer-panel', 'aria-labelledby': 'customer-panel-title', hidden: true });
    const table = h('table', { id: 'customers-table', class: 'table table-cards customers-table' });
    const filterInput = h('input', { id: 'customers-q', type: 'search', autocomplete: 'off' });
    filterInput.addEventListener('input', () => { state.filter = filterInput.value.trim().toLowerCase(); renderTable(); });
    const addButton = h('button', { id: 'customer-add', type: 'button', class: 'primary', 'aria-controls': 'customer-panel',
      onclick: () => openAdd() }, 'Add customer');
    const exportButton = h('button', { id: 'customers-export', type: 'button', class: 'secondary', onclick: () => exportCsv() },
      'Export CSV');
    const refreshButton = h('button', { id: 'customers-refresh', type: 'button', class: 'secondary', onclick: () => load() }, 'Refresh');

    const chooser = buildChooser();

    root.append(
      h('h1', {}, 'Customers'),
      h('p', { class: 'customers-intro' },
        'Every customer this desk serves for you. "Awaiting approval" counts devices from resellers\' uploads that wait for ',
        'your approval; "Failed today" counts enrollments that failed or were refused since midnight. ',
        'A delinked customer, or one that has not yet accepted you, shows its name, status and dates only.'),
      h('div', { class: 'customers-toolbar' },
        addButton, exportButton, refreshButton,
        h('div', { class: 'customers-filter' }, h('label', { for: 'customers-q' }, 'Find a customer'), filterInput),
        chooser),
      panel,
      status,
      h('div', { class: 'table-wrap customers-table-wrap' }, table));

    // ---- column chooser --------------------------------------------------
    function buildChooser() {
      const boxes = COLUMNS.map((col) => {
        const id = `customers-col-${col.id}`;
        const box = h('input', { type: 'checkbox', id, value: col.id, 'data-column': col.id });
        box.checked = state.shown.has(col.id);
        box.addEventListener('change', () => {
          if (box.checked) state.shown.add(col.id); else state.shown.delete(col.id);
          saveColumns(state.shown);
          renderTable();
        });
        return h('div', { class: 'customers-column-choice' }, box, h('label', { for: id }, col.label));
      });
      const reset = h('button', { type: 'button', class: 'secondary small', onclick: () => {
        state.shown = new Set(COLUMNS.filter((c) => c.shown).map((c) => c.id));
        saveColumns(state.shown);
        for (const b of details.querySelectorAll('input[type="checkbox"]')) b.checked = state.shown.has(b.value);
        renderTable();
      } }, 'Default columns');
      const details = h('details', { id: 'customers-columns', class: 'customers-columns' },
        h('summary', {}, 'Columns'),
        h('fieldset', {}, h('legend', {}, 'Columns shown'),
          h('p', { class: 'field-hint customers-columns-hint' }, 'The company name always is.'), boxes, reset));
      details.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && details.open) {
          details.open = false;
          details.querySelector('summary').focus();
        }
      });
      return details;
    }

    // ---- table ------------------------------------------------------------
    function visibleColumns() { return COLUMNS.filter((c) => state.shown.has(c.id)); }

    function sortedRows() {
      const q = state.filter;
      const rows = state.customers.filter((c) => !q || [c.company_name, c.id, contactName(c), c.contact?.email, c.city, c.country]
        .some((v) => (v || '').toLowerCase().includes(q)));
      const col = COLUMNS.find((c) => c.id === state.sort.id);
      const key = col ? (c) => col.value(c, state.attention.get(c.id)) : (c) => (c.company_name || '').toLowerCase();
      return rows.sort((a, b) => {
        const x = key(a); const y = key(b);
        const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return d * state.sort.dir || (a.company_name || '').localeCompare(b.company_name || '');
      });
    }

    function headerCell(id, label, numeric) {
      const sorted = state.sort.id === id;
      const th = h('th', { scope: 'col', class: numeric ? 'num' : null, 'data-column': id,
        'aria-sort': sorted ? (state.sort.dir > 0 ? 'ascending' : 'descending') : null },
      h('button', { type: 'button', class: 'customers-sort', onclick: () => {
        state.sort = { id, dir: sorted ? -state.sort.dir : 1 };
        renderTable();
      } }, label, h('span', { 'aria-hidden': 'true', class: 'customers-sort-mark' }, sorted ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : '')));
      return th;
    }

    function renderTable() {
      const cols = visibleColumns();
      const rows = sortedRows();
      // Keep the keyboard where it was: the same control of the same row, if it is still there.
      const again = focusIn(table);
      clear(table);
      table.append(
        h('caption', {}, `Customers (${rows.length}${rows.length !== state.customers.length ? ` of ${state.customers.length}` : ''})`),
        h('thead', {}, h('tr', {},
          headerCell('company_name', 'Company name'),
          cols.map((c) => headerCell(c.id, c.label, c.numeric)),
          h('th', { scope: 'col' }, 'Actions'))),
        h('tbody', {}, rows.length === 0
          ? h('tr', {}, h('td', { colspan: String(cols.length + 2), class: 'empty' },
            state.customers.length ? 'No customer matches.' : 'No customers yet: add one.'))
          : rows.map((c) => renderRow(c, cols))));
      if (again) refocus(again);
    }

    // Where the keyboard is within `box`: enough to find the same control after a render.
    function focusIn(box) {
      const active = box.contains(document.activeElement) ? document.activeElement : null;
      return active && {
        row: active.closest('tr[data-customer]')?.dataset.customer,
        action: active.dataset.action, attention: active.dataset.attention,
        column: active.closest('th[data-column]')?.dataset.column,
      };
    }

    function refocus({ row, action, attention, column }) {
      let target = null;
      if (column) target = table.querySelector(`th[data-column="${CSS.escape(column)}"] button`);
      else if (row) {
        const tr = table.querySelector(`tr[data-customer="${CSS.escape(row)}"]`);
        if (tr && action) target = tr.querySelector(`[data-action="${CSS.escape(action)}"]`);
        else if (tr && attention) target = tr.querySelector(`[data-attention="${CSS.escape(attention)}"]`);
        target ||= tr?.querySelector('button, a');
      }
      target?.focus();
    }

    function renderRow(c, cols) {
      const a = state.attention.get(c.id);
      const needs = reachable(c) && a && ((a.pending || 0) > 0 || (a.failed || 0) > 0);
      return h('tr', { 'data-customer': c.id, 'data-status': c.status, class: needs ? 'customers-needs-attention' : null },
        h('th', { scope: 'row' }, orDash(c.company_name)),
        cols.map((col) => {
          const v = col.cell ? col.cell(c, a) : orDash(col.value(c, a));
          return h('td', { class: col.numeric ? 'num' : null, 'data-column': col.id, 'data-label': col.label }, v);
        }),
        h('td', { class: 'customers-actions', 'data-label': 'Actions' }, h('div', { class: 'customers-buttons' }, actions(c))));
    }

    function actionButton(action, label, c, onclick) {
      return h('button', { type: 'button', class: 'secondary small', 'data-action': action,
        'aria-label': `${label}: ${c.company_name || c.id}`, onclick }, label);
    }

    function actions(c) {
      const out = [];
      if (c.status === ACTIVE) out.push(actionButton('edit', 'Edit', c, () => openEdit(c)));
      if (c.status === ACTIVE && c.management === FULLY) out.push(actionButton('upgrade', 'Upgrade', c, () => upgrade(c)));
      if (c.status === ACTIVE && c.management === JOINTLY) {
        out.push(actionButton('delink-request', 'Request delink', c, () => delink(c, 'request')));
      }
      if (c.status === DELINK_REQUESTED) {
        out.push(actionButton('delink-revoke', 'Revoke delink', c, () => delink(c, 'revoke')),
          h('span', { class: 'field-hint' }, 'Its admin accepts or rejects'));
      }
      if (c.status === DELINKED) out.push(actionButton('link', 'Ask to link again', c, () => linkExisting(c.id, c)));
      if (c.status === PENDING_APPROVAL) out.push(h('span', { class: 'field-hint' }, 'Awaits the customer\'s answer'));
      return out;
    }

    // ---- loading ----------------------------------------------------------
    async function load() {
      root.dataset.ready = 'false';
      status.textContent = 'Loading customers…';
      try {
        const answer = await api.get('/customers', { customer: null });
        if (!alive) return;
        state.customers = answer.customers || [];
        state.loadError = '';
      } catch (err) {
        if (!alive) return;
        state.loadError = errorText(err);
        status.textContent = `Could not load the customers: ${state.loadError}`;
        renderTable();
        root.dataset.ready = 'true';
        return;
      }
      const known = new Set(state.customers.map((c) => c.id));
      for (const id of state.attention.keys()) if (!known.has(id)) state.attention.delete(id);
      renderTable();
      status.textContent = 'Checking what needs attention…';
      await loadAttention(state.customers.filter(reachable).map((c) => c.id));
      if (!alive) return;
      status.textContent = summary();
      root.dataset.ready = 'true';
    }

    function summary() {
      let pending = 0; let failed = 0;
      for (const c of state.customers) {
        const a = state.attention.get(c.id);
        if (!reachable(c) || !a) continue;
        pending += a.pending || 0;
        failed += a.failed || 0;
      }
      const n = state.customers.length;
      return `${n} customer${n === 1 ? '' : 's'}; ${pending} device${pending === 1 ? '' : 's'} awaiting approval, ` +
        `${failed} failed enrollment${failed === 1 ? '' : 's'} today.`;
    }

    async function attentionOf(id) {
      const a = { pending: null, failed: null, failedMore: false, error: '' };
      try {
        const report = await api.get('/reports/devices', { customer: id });
        a.pending = Number(report.pending_approval || 0);
        let failed = 0;
        let cursor;
        let pages = 0;
        do {
          const page = await api.get('/ledger', { customer: id, since: String(todayMs()), page_size: LEDGER_PAGE, cursor });
          for (const row of page.entries || []) if (failedEnrollment(row)) failed += 1;
          cursor = page.next_cursor;
          pages += 1;
        } while (cursor && pages < LEDGER_PAGES && alive);
        a.failed = failed;
        a.failedMore = Boolean(cursor);
      } catch (err) {
        a.error = errorText(err);
      }
      return a;
    }

    async function loadAttention(ids) {
      await eachLimited(ids, PARALLEL, async (id) => {
        const a = await attentionOf(id);
        if (!alive) return;
        state.attention.set(id, a);
        const row = table.querySelector(`tr[data-customer="${CSS.escape(id)}"]`);
        const c = state.customers.find((x) => x.id === id);
        if (!row || !c) return;
        const again = focusIn(row);
        row.replaceWith(renderRow(c, visibleColumns()));
        if (again) refocus(again);
      });
    }

    // A ledger event changes a customer's counts (an upload, an approval, an outcome): recount it soon.
    function scheduleAttention(id) {
      if (id) attentionDue.add(id);
      if (reloadTimer) return;
      reloadTimer = setTimeout(() => {
        reloadTimer = null;
        refreshList(false);
      }, 1500);
    }

    // Reads the list again and recounts the customers due. quiet: only when the list changed (the
    // customer's own admin answering a delink or a link request writes no ledger row).
    // The customers a ledger event asked to recount are taken here, the quiet
    // path included: a quiet run that finds them recounts them, so none is lost
    // when it comes before the event's own timer; a failed read puts them back.
    async function refreshList(quiet) {
      if (!alive) return;
      const ids = [...attentionDue];
      attentionDue.clear();
      try {
        const answer = await api.get('/customers', { customer: null });
        if (!alive) return;
        const next = answer.customers || [];
        const before = new Map(state.customers.map((c) => [c.id, JSON.stringify(c)]));
        const changed = next.filter((c) => before.get(c.id) !== JSON.stringify(c));
        const listChanged = changed.length > 0 || next.length !== state.customers.length;
        if (quiet && !listChanged && ids.length === 0) return;
        root.dataset.ready = 'false';
        if (listChanged || !quiet) {
          state.customers = next;
          renderTable();
        }
        const reach = new Set(next.filter(reachable).map((c) => c.id));
        const due = new Set([...ids, ...changed.map((c) => c.id)]);
        await loadAttention([...due].filter((x) => reach.has(x)));
        if (alive) status.textContent = summary();
      } catch (err) {
        if (!alive) return;
        for (const id of ids) attentionDue.add(id);  // recounted by the next refresh that reads the list
        status.textContent = `Could not refresh: ${errorText(err)}`;
      }
      if (alive) root.dataset.ready = 'true';
    }

    const listTimer = setInterval(() => refreshList(true), LIST_REFRESH_MS);

    const unsubscribe = ctx.events?.subscribe?.((ev) => {
      if (ev.type === 'ledger') {
        const id = ev.data?.ledger?.customer;
        if (id) scheduleAttention(id);
      } else if (ev.type === 'reset') {
        for (const c of state.customers) if (reachable(c)) attentionDue.add(c.id);
        scheduleAttention(null);
      }
    });

    // ---- panel (add / link / edit) and row actions: customer_forms.js ----
    const { openAdd, openEdit, upgrade, delink, linkExisting } =
      customerForms({ ctx, state, panel, table, addButton, load, isAlive: () => alive });

    // ---- CSV --------------------------------------------------------------
    async function exportCsv() {
      exportButton.disabled = true;
      try {
        const blob = await api.blob('/reports/customers', { format: 'csv', customer: null });
        const day = new Date().toISOString().slice(0, 10);
        downloadBlob(blob, `customers-${day}.csv`);
        ctx.notify('Customer CSV downloaded.', 'success');
      } catch (err) {
        ctx.notify(`Could not export the customers: ${errorText(err)}`, 'error');
      } finally {
        exportButton.disabled = false;
      }
    }

    renderTable();
    await load();

    return () => {
      alive = false;
      if (reloadTimer) clearTimeout(reloadTimer);
      clearInterval(listTimer);
      if (typeof unsubscribe === 'function') unsubscribe();
    };
  },
};
