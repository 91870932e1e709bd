// The customers view (msp-admin): the MSP portal's customer table. Columns the
// admin chooses (kept in localStorage), per customer what needs attention
// (uploads awaiting approval, enrollments that failed today), add a new
// customer or link an existing one, edit with the rules of docs/MSP.md,
// upgrade, the delink steps that are the MSP's, and the KME customer CSV.
import { h, clear, formatTime, confirmDialog, downloadBlob, errorText, badge } from '../lib/dom.js';

const COLUMNS_KEY = 'kda.console.customers.columns';
const SIZES = ['0-19', '20-99', '100-249', '250-499', '500-999', '1000+'];
const FULLY = 'Fully managed';
const JOINTLY = 'Jointly managed';
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

const dash = '–';
const orDash = (v) => (v === undefined || v === null || v === '' ? dash : String(v));
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

// The form's fields: the API's field path (as server messages name it), label, kind.
const ACCOUNT_FIELDS = [
  { path: 'company_name', label: 'Company name', required: true, autocomplete: 'organization' },
  { path: 'size', label: 'Company size (employees)', kind: 'size', required: true },
  { path: 'industry', label: 'Industry' },
  { path: 'country', label: 'Country (ISO code, like DE)', required: true, autocomplete: 'country', size: 2, maxlength: 2 },
  { path: 'address_lines', label: 'Address (one line each)', kind: 'lines', autocomplete: 'street-address' },
  { path: 'city', label: 'City', autocomplete: 'address-level2' },
  { path: 'state', label: 'State or region', autocomplete: 'address-level1' },
  { path: 'zip', label: 'Postal code', autocomplete: 'postal-code' },
  { path: 'website', label: 'Website', type: 'url', autocomplete: 'url' },
];
const CONTACT_CORE = ['contact.first_name', 'contact.last_name', 'contact.email'];
const CONTACT_FIELDS = [
  { path: 'contact.first_name', label: 'First name', required: true, autocomplete: 'given-name' },
  { path: 'contact.last_name', label: 'Last name', required: true, autocomplete: 'family-name' },
  { path: 'contact.email', label: 'Work email', type: 'email', required: true, autocomplete: 'email' },
  { path: 'contact.phone', label: 'Phone', type: 'tel', autocomplete: 'tel' },
  { path: 'contact.job_title', label: 'Job title', autocomplete: 'organization-title' },
];

function statusBadge(status) {
  return status ? badge(status) : dash;
}

function midnightMs() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
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
  const since = new Date(midnightMs()).toISOString();
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

// The field a server refusal names ("contact.email: ... is a personal address"), or null.
function fieldOfMessage(message) {
  const m = /^([a-z_]+(?:\.[a-z_]+)?)(?:\[\d+\])?: /.exec(message || '');
  return m ? m[1] : null;
}

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = value;
}

function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a || []) === JSON.stringify(b || []);
  return (a ?? '') === (b ?? '');
}

// A form of customer fields, with an error line under each (.field-error[data-field]).
class CustomerForm {
  constructor(prefix) {
    this.prefix = prefix;
    this.inputs = new Map();
    this.errors = new Map();
    this.wraps = new Map();
  }

  id(path) { return `${this.prefix}-${path.replace(/[._]/g, '-')}`; }

  field(f) {
    const id = this.id(f.path);
    const errId = `${id}-error`;
    let input;
    if (f.kind === 'size') {
      input = h('select', { id, name: f.path }, h('option', { value: '' }, 'Choose a size'),
        SIZES.map((s) => h('option', { value: s }, s)));
    } else if (f.kind === 'lines') {
      input = h('textarea', { id, name: f.path, rows: '2', autocomplete: f.autocomplete });
    } else {
      input = h('input', { id, name: f.path, type: f.type || 'text', autocomplete: f.autocomplete || 'off',
        maxlength: f.maxlength, size: f.size });
    }
    if (f.required) input.setAttribute('aria-required', 'true');
    input.setAttribute('aria-describedby', errId);
    const error = h('p', { class: 'field-error', id: errId, 'data-field': f.path, hidden: true });
    const wrap = h('div', { class: 'field customers-field' },
      h('label', { for: id }, f.label, f.required ? h('span', { class: 'customers-required' }, ' (required)') : null),
      input, error);
    this.inputs.set(f.path, input);
    this.errors.set(f.path, error);
    this.wraps.set(f.path, wrap);
    return wrap;
  }

  managementChoice(current) {
    const name = `${this.prefix}-management`;
    const errId = `${name}-error`;
    const radio = (value, label, note) => {
      const id = `${name}-${value === FULLY ? 'fully' : 'jointly'}`;
      const input = h('input', { type: 'radio', id, name, value, 'aria-describedby': `${id}-note ${errId}` });
      input.checked = value === current;
      return h('div', { class: 'customers-radio' }, input, h('label', { for: id }, label),
        h('p', { class: 'field-hint', id: `${id}-note` }, note));
    };
    const error = h('p', { class: 'field-error', id: errId, 'data-field': 'management', hidden: true });
    this.errors.set('management', error);
    this.management = name;
    return h('fieldset', { class: 'customers-management' }, h('legend', {}, 'Management'),
      radio(FULLY, 'Fully managed', 'The MSP runs everything for the customer; it has no admin of its own.'),
      radio(JOINTLY, 'Jointly managed',
        'The customer\'s own admin works beside the MSP. Needs a work email (no webmail address such as gmail.com).'),
      error);
  }

  fill(c) {
    for (const [path, input] of this.inputs) {
      const v = getPath(c, path);
      input.value = Array.isArray(v) ? v.join('\n') : (v ?? '');
    }
  }

  value(path) {
    const input = this.inputs.get(path);
    if (path === 'address_lines') return input.value.split('\n').map((l) => l.trim()).filter(Boolean);
    return input.value.trim();
  }

  managementValue(form) {
    const checked = form.querySelector(`input[name="${this.management}"]:checked`);
    return checked ? checked.value : '';
  }

  clearErrors() {
    for (const [path, el] of this.errors) {
      el.textContent = '';
      el.hidden = true;
      this.inputs.get(path)?.removeAttribute('aria-invalid');
    }
  }

  // Shows a refusal beside the field it names; false when it names none of the form's.
  showError(message) {
    const path = fieldOfMessage(message);
    const el = path && this.errors.get(path);
    if (!el) return false;
    el.textContent = message.slice(message.indexOf(': ') + 2);  // the field is named by its place
    el.hidden = false;
    const input = this.inputs.get(path);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      if (!input.disabled) input.focus();
    }
    return true;
  }
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
          const page = await api.get('/ledger', { customer: id, since: String(midnightMs()), page_size: LEDGER_PAGE, cursor });
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

    // ---- panel: add / link / edit -------------------------------------------
    function closePanel(focusTo) {
      clear(panel);
      panel.hidden = true;
      const target = focusTo && focusTo.isConnected ? focusTo : addButton;
      target.focus();
    }

    // Escape leaves the form (the opener gets the focus back), as a dialog would.
    panel.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || panel.hidden) return;
      e.preventDefault();
      closePanel(panel.backTo ? panel.backTo() : panel.opener);
    });

    function openPanel(title, ...content) {
      panel.opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body
        ? document.activeElement : addButton;
      panel.backTo = null;
      clear(panel);
      panel.append(h('h2', { id: 'customer-panel-title' }, title), ...content);
      panel.hidden = false;
      const first = panel.querySelector('input:not([disabled]):not([type="radio"]), select:not([disabled]), textarea:not([disabled])') ||
        panel.querySelector('input:not([disabled])');
      (first || panel.querySelector('button'))?.focus();
    }

    function formError() {
      return h('p', { class: 'form-error customers-form-error', role: 'alert', hidden: true });
    }

    function showFormError(el, message) {
      el.textContent = message;
      el.hidden = !message;
    }

    function openAdd() {
      const chooseName = 'customer-add-kind';
      const kindNew = h('input', { type: 'radio', id: 'customer-add-new', name: chooseName, value: 'new' });
      const kindExisting = h('input', { type: 'radio', id: 'customer-add-existing', name: chooseName, value: 'existing' });
      kindNew.checked = true;
      const newPart = h('div', { class: 'customers-add-new' });
      const existingPart = h('div', { class: 'customers-add-existing', hidden: true });
      const switchKind = () => {
        newPart.hidden = !kindNew.checked;
        existingPart.hidden = !kindExisting.checked;
      };
      kindNew.addEventListener('change', switchKind);
      kindExisting.addEventListener('change', switchKind);

      // A new customer.
      const form = new CustomerForm('customer');
      const error = formError();
      const save = h('button', { id: 'customer-save', type: 'submit', class: 'primary' }, 'Add customer');
      const newForm = h('form', { id: 'customer-form', class: 'customers-form', novalidate: true },
        h('fieldset', {}, h('legend', {}, 'Company'), ACCOUNT_FIELDS.map((f) => form.field(f))),
        h('fieldset', {}, h('legend', {}, 'Contact'), CONTACT_FIELDS.map((f) => form.field(f))),
        form.managementChoice(FULLY),
        error,
        h('div', { class: 'customers-form-buttons' }, save,
          h('button', { type: 'button', class: 'secondary', onclick: () => closePanel() }, 'Cancel')));
      newForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        form.clearErrors();
        showFormError(error, '');
        const body = {};
        for (const f of [...ACCOUNT_FIELDS, ...CONTACT_FIELDS]) {
          const v = form.value(f.path);
          if (Array.isArray(v) ? v.length : v) setPath(body, f.path, v);
        }
        const management = form.managementValue(newForm);
        if (management) body.management = management;
        save.disabled = true;
        try {
          const made = await api.post('/customers', body, { customer: null });
          ctx.notify(`Customer ${made.id} (${made.company_name}) added, ${made.management || management}.`, 'success');
          closePanel();
          await load();
          ctx.customersChanged();
        } catch (err) {
          if (!form.showError(err.message)) showFormError(error, errorText(err));
        } finally {
          save.disabled = false;
        }
      });
      newPart.append(newForm);

      // An existing customer, by its id.
      const idInput = h('input', { id: 'customer-link-id', type: 'text', inputmode: 'numeric', autocomplete: 'off',
        maxlength: '10', 'aria-describedby': 'customer-link-note customer-link-id-error' });
      const idError = h('p', { class: 'field-error', id: 'customer-link-id-error', 'data-field': 'id', hidden: true });
      const linkButton = h('button', { id: 'customer-link', type: 'submit', class: 'primary' }, 'Send link request');
      const linkForm = h('form', { id: 'customer-link-form', class: 'customers-form', novalidate: true },
        h('p', { class: 'field-hint', id: 'customer-link-note' },
          'A customer that runs its devices alone (for instance one that delinked) can let you manage it again. ',
          'This sends a request: the customer is "Pending customer approval" and you reach none of its devices, ',
          'profiles or ledger until its own admin accepts. The admin may also decline.'),
        h('div', { class: 'field customers-field' }, h('label', { for: 'customer-link-id' }, 'Customer ID (10 digits)'),
          idInput, idError),
        h('div', { class: 'customers-form-buttons' }, linkButton,
          h('button', { type: 'button', class: 'secondary', onclick: () => closePanel() }, 'Cancel')));
      linkForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        idError.hidden = true;
        idInput.removeAttribute('aria-invalid');
        const id = idInput.value.trim();
        if (!/^[1-9][0-9]{9}$/.test(id)) {
          idError.textContent = 'A customer ID is 10 digits, the first not 0.';
          idError.hidden = false;
          idInput.setAttribute('aria-invalid', 'true');
          idInput.focus();
          return;
        }
        linkButton.disabled = true;
        try {
          const c = await api.post(`/customers/${encodeURIComponent(id)}/link`, undefined, { customer: null });
          ctx.notify(`Link request sent to ${c.company_name || id}: ${c.status}.`, 'success');
          closePanel();
          await load();
        } catch (err) {
          idError.textContent = errorText(err);
          idError.hidden = false;
          idInput.setAttribute('aria-invalid', 'true');
          idInput.focus();
        } finally {
          linkButton.disabled = false;
        }
      });
      existingPart.append(linkForm);

      openPanel('Add a customer',
        h('fieldset', { class: 'customers-add-kind' }, h('legend', {}, 'Which customer'),
          h('div', { class: 'customers-radio' }, kindNew, h('label', { for: 'customer-add-new' }, 'A new customer')),
          h('div', { class: 'customers-radio' }, kindExisting,
            h('label', { for: 'customer-add-existing' }, 'An existing customer (by its customer ID)'))),
        newPart, existingPart);
    }

    function openEdit(c) {
      const form = new CustomerForm('customer');
      const error = formError();
      const save = h('button', { id: 'customer-save', type: 'submit', class: 'primary' }, 'Save changes');
      const fully = c.management === FULLY;
      const editable = (path) => (fully ? CONTACT_CORE.includes(path) : !path.startsWith('contact.'));
      const rule = fully
        ? 'Fully managed: you may change only the contact\'s first and last names and email. Upgrade the customer to jointly managed to let its own admin run it.'
        : 'Jointly managed: you change the company\'s account; the contact is the customer\'s own admin\'s to change.';
      const editForm = h('form', { id: 'customer-form', class: 'customers-form', novalidate: true },
        h('p', { class: 'field-hint customers-rule', id: 'customer-rule' }, rule),
        h('fieldset', {}, h('legend', {}, 'Company'), ACCOUNT_FIELDS.map((f) => form.field(f))),
        h('fieldset', {}, h('legend', {}, 'Contact'), CONTACT_FIELDS.map((f) => form.field(f))),
        h('p', {}, `Management: ${orDash(c.management)}. Status: ${orDash(c.status)}.`),
        error,
        h('div', { class: 'customers-form-buttons' }, save,
          h('button', { type: 'button', class: 'secondary', onclick: () => closePanel(rowButton(c.id, 'edit')) }, 'Cancel')));
      form.fill(c);
      for (const [path, input] of form.inputs) {
        if (!editable(path)) {
          input.disabled = true;
          input.setAttribute('aria-describedby', `customer-rule ${input.getAttribute('aria-describedby')}`);
          form.wraps.get(path).classList.add('customers-locked');
        }
      }
      editForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        form.clearErrors();
        showFormError(error, '');
        const body = {};
        for (const [path] of form.inputs) {
          if (!editable(path)) continue;
          const v = form.value(path);
          if (!sameValue(v, getPath(c, path))) setPath(body, path, v);
        }
        if (Object.keys(body).length === 0) {
          ctx.notify('Nothing changed.', 'info');
          return;
        }
        save.disabled = true;
        try {
          const next = await api.patch(`/customers/${encodeURIComponent(c.id)}`, body, { customer: null });
          ctx.notify(`Customer ${next.id} (${next.company_name}) saved.`, 'success');
          closePanel(rowButton(c.id, 'edit'));
          await load();
          rowButton(c.id, 'edit')?.focus();
        } catch (err) {
          if (!form.showError(err.message)) showFormError(error, errorText(err));
        } finally {
          save.disabled = false;
        }
      });
      openPanel(`Edit ${c.company_name} (${c.id})`, editForm);
      panel.backTo = () => rowButton(c.id, 'edit');  // the row may have been drawn again meanwhile
    }

    function rowButton(id, action) {
      return table.querySelector(`tr[data-customer="${CSS.escape(id)}"] button[data-action="${action}"]`);
    }

    // ---- lifecycle steps ---------------------------------------------------
    // After a confirmation: the view is still shown and the customer is still as
    // the dialog described it (the list is read again while a dialog is open).
    function stillAsAsked(c) {
      if (!alive) return false;
      const now = state.customers.find((x) => x.id === c.id);
      if (now && now.status === c.status && now.management === c.management) return true;
      ctx.notify(`${c.company_name || c.id} changed while the dialog was open (now ${now ? now.status : 'gone'}): nothing was done.`, 'error');
      return false;
    }

    async function step(c, label, run, success) {
      try {
        const next = await run();
        ctx.notify(success(next), 'success');
        await load();
      } catch (err) {
        ctx.notify(`${label} ${c.company_name || c.id}: ${errorText(err)}`, 'error');
      }
    }

    async function upgrade(c) {
      const ok = await confirmDialog(`Upgrade ${c.company_name} to jointly managed?`,
        'Fully to jointly managed is an upgrade, and there is no way back. The customer\'s own admin then works ' +
        'beside you, and its contact becomes the customer\'s to change, not yours. A jointly managed customer ' +
        `needs a work email: the contact's is ${c.contact?.email || 'not known'}.`, 'Upgrade');
      if (!ok || !stillAsAsked(c)) return;
      await step(c, 'Could not upgrade', () => api.post(`/customers/${encodeURIComponent(c.id)}/upgrade`, undefined, { customer: null }),
        (n) => `${n.company_name} is now ${n.management}.`);
    }

    async function delink(c, which) {
      const texts = {
        request: [`Ask ${c.company_name} to delink?`,
          'This asks the customer\'s own admin to take over alone. Until the admin answers, nobody changes the ' +
          'customer\'s account, and you may revoke the request. If the admin accepts, you lose the customer\'s ' +
          'devices, profiles, resellers and ledger, and your desks enroll none of its devices any more; its row ' +
          'stays here with name, status and dates only. If the admin rejects, the customer is Active again.',
          'Request delink'],
        revoke: [`Revoke the delink request for ${c.company_name}?`,
          'This takes your request back before the customer\'s admin answers: the customer is Active again and ' +
          'you keep managing it.', 'Revoke request'],
      };
      const [title, text, okLabel] = texts[which];
      if (!(await confirmDialog(title, text, okLabel)) || !stillAsAsked(c)) return;
      await step(c, which === 'request' ? 'Could not request a delink of' : 'Could not revoke the delink of',
        () => api.post(`/customers/${encodeURIComponent(c.id)}/delink`, { step: which }, { customer: null }),
        (n) => (which === 'request'
          ? `Delink requested for ${n.company_name}: its admin accepts or rejects.`
          : `Delink request for ${n.company_name} revoked: ${n.status}.`));
    }

    async function linkExisting(id, c) {
      const name = c?.company_name || id;
      const ok = await confirmDialog(`Ask ${name} to let you manage it again?`,
        'The customer becomes "Pending customer approval": you reach none of its devices, profiles or ledger ' +
        'until its own admin accepts your request (the admin may decline).', 'Send link request');
      if (!ok || (c ? !stillAsAsked(c) : !alive)) return;
      await step(c || { id }, 'Could not ask', () => api.post(`/customers/${encodeURIComponent(id)}/link`, undefined, { customer: null }),
        (n) => `Link request sent to ${n.company_name || id}: ${n.status}.`);
    }

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
