// Devices: the inventory as pages the server filters (GET /devices with
// page_size and cursor), so 100k devices cost one page at a time. The filter
// and the stack of page cursors live in the hash (#/devices?state=...&pages=[...])
// so back/forward and reload show the same page. Bulk actions go to the
// /devices/<action> routes with the selected keys, or {all, filter} for every
// device the filter matches; CSV import always runs a dry run first (its panel
// is in device_import.js).
import { h, clear, formatTime, confirmDialog, downloadBlob, errorText, badge, listen, labelled, plural } from '../lib/dom.js';
import { mountImport } from './device_import.js';

export { parseImportError } from './device_import.js';

const PAGE_SIZE = 100;
const STATES = ['Unassigned', 'Profile assigned', 'Provisioning', 'Provisioned', 'Failed to provision',
  'Cancelled by user', 'Rejected'];
const APPROVALS = ['pending', 'approved', 'rejected'];
// The profile filter's option for devices with no profile of their own (the
// API's profile=""); in the hash it is profile_none=1.
const NO_PROFILE = '\u0000none';

function option(value, text, selected) {
  const o = h('option', { value }, text);
  o.selected = !!selected;
  return o;
}

// Today's date as YYYYMMDD in local time, for the export's file name.
function stamp(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
}

// The pager and Apply re-mount the view (the page is in the hash); the button
// pressed is named here so the new mount gives it the keyboard back once its
// page is shown, instead of the heading.
let focusAfterMount = null;

// The filter a route's hash holds: {q, state, approval, profile, tag}; profile
// "" means "no profile of its own", absent means any.
export function filterFromParams(params) {
  const f = {};
  for (const k of ['q', 'state', 'approval', 'tag']) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  if (params.get('profile_none') === '1') f.profile = '';
  else if (params.get('profile')) f.profile = params.get('profile');
  return f;
}

function pagesFromParams(params) {
  try {
    const pages = JSON.parse(params.get('pages') || '[]');
    return Array.isArray(pages) ? pages.filter((c) => typeof c === 'string' && c) : [];
  } catch {
    return [];
  }
}

// The hash query for a filter and a cursor stack (navigate's params object).
function routeParams(filter, pages) {
  const p = {};
  for (const k of ['q', 'state', 'approval', 'tag']) if (filter[k]) p[k] = filter[k];
  if (filter.profile === '') p.profile_none = '1';
  else if (filter.profile) p.profile = filter.profile;
  if (pages.length) p.pages = JSON.stringify(pages);
  return p;
}

// GET /devices and /devices/export take q; the bulk routes' DeviceFilter calls it search.
function bulkFilter(filter) {
  const f = {};
  for (const k of ['state', 'approval', 'tag', 'profile']) if (filter[k] !== undefined) f[k] = filter[k];
  if (filter.q) f.search = filter.q;
  return f;
}

function describeFilter(filter) {
  const parts = [];
  if (filter.q) parts.push(`identifier ${filter.q}`);
  if (filter.state) parts.push(`state ${filter.state}`);
  if (filter.approval) parts.push(`approval ${filter.approval}`);
  if (filter.profile === '') parts.push('no profile of their own');
  else if (filter.profile) parts.push(`profile ${filter.profile}`);
  if (filter.tag) parts.push(`tag ${filter.tag}`);
  return parts.length ? parts.join(', ') : 'no filter: the whole inventory';
}

// A modal with selects (assign, move): resolves to {name: value} or null.
function choiceDialog(title, fields, okLabel) {
  return new Promise((resolve) => {
    const titleId = `choice-${Math.random().toString(36).slice(2)}`;
    const opener = document.activeElement;
    const selects = fields.map((f) => {
      const s = h('select', { id: `${titleId}-${f.name}`, name: f.name },
        f.options.map((o) => option(o.value, o.text, o.value === f.value)));
      return { f, s };
    });
    const ok = h('button', { type: 'submit', class: 'primary' }, okLabel);
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = h('form', { class: 'dialog-form' },
      h('h2', { id: titleId }, title),
      selects.map(({ f, s }) => labelled(s.id, f.label, s)),
      h('div', { class: 'dialog-buttons' }, cancel, ok));
    const dialog = h('dialog', { class: 'confirm-dialog choice-dialog', 'aria-labelledby': titleId }, form);
    let answer = null;
    listen(form, 'submit', (e) => {
      e.preventDefault();
      answer = Object.fromEntries(selects.map(({ f, s }) => [f.name, s.value]));
      dialog.close();
    });
    listen(cancel, 'click', () => dialog.close());
    listen(dialog, 'close', () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    if (selects.length) selects[0].s.focus();
  });
}

export default {
  id: 'devices',
  title: 'Devices',
  roles: ['msp-admin', 'customer-admin', 'reseller', 'desk-operator', 'viewer'],
  mount(root, ctx) {
    const { api } = ctx;
    const filter = filterFromParams(ctx.params);
    const pages = pagesFromParams(ctx.params);
    const cursor = pages.length ? pages[pages.length - 1] : undefined;
    const manage = ctx.can('manage_devices');
    const canUpload = ctx.can('upload');
    const isReseller = ctx.caller && ctx.caller.role === 'reseller';
    let gone = false;
    let loads = 0;  // load() generation: only the newest answer is drawn
    const refocus = focusAfterMount;
    focusAfterMount = null;
    let rows = [];
    let next = null;
    const selected = new Set();
    let allMatching = false;
    let matching = null;  // how many devices the filter matches, where the devices report says
    let profiles = [];

    root.dataset.ready = 'false';

    // Filters.
    const q = h('input', { id: 'devices-q', type: 'search', name: 'q', value: filter.q || '',
      autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'devices-q-hint' });
    const stateSel = h('select', { id: 'devices-state', name: 'state' },
      option('', 'Any state', !filter.state), STATES.map((s) => option(s, s, filter.state === s)));
    if (filter.state && !STATES.includes(filter.state)) stateSel.append(option(filter.state, filter.state, true));
    const approvalSel = h('select', { id: 'devices-approval', name: 'approval' },
      option('', 'Any approval', !filter.approval), APPROVALS.map((a) => option(a, a, filter.approval === a)));
    const profileSel = h('select', { id: 'devices-profile', name: 'profile' });
    const tag = h('input', { id: 'devices-tag', type: 'text', name: 'tag', value: filter.tag || '',
      autocomplete: 'off', spellcheck: 'false' });
    const fillProfiles = () => {
      clear(profileSel);
      profileSel.append(option('', 'Any profile', filter.profile === undefined),
        option(NO_PROFILE, '(default profile)', filter.profile === ''));
      const names = profiles.map((p) => p.name);
      if (filter.profile && !names.includes(filter.profile)) names.push(filter.profile);
      for (const n of names) profileSel.append(option(n, n, filter.profile === n));
    };
    fillProfiles();
    const apply = h('button', { id: 'devices-apply', type: 'submit', class: 'primary' }, 'Apply');
    const reset = h('button', { id: 'devices-clear', type: 'button', class: 'secondary' }, 'Clear');
    const filters = h('form', { id: 'devices-filters', class: 'devices-filters', role: 'search',
      'aria-label': 'Filter devices' },
    labelled('devices-q', 'Search', q, 'Any identifier, exactly: IMEI, MEID, serial, Wi-Fi MAC, user id'),
    labelled('devices-state', 'State', stateSel),
    labelled('devices-approval', 'Approval', approvalSel),
    labelled('devices-profile', 'Profile', profileSel),
    labelled('devices-tag', 'Tag', tag),
    h('div', { class: 'devices-filter-buttons' }, apply, reset));

    // focusId: the control to give the keyboard back to on the new page.
    const go = (f, stack, focusId) => {
      focusAfterMount = focusId || null;
      ctx.navigate('devices', routeParams(f, stack), focusId ? { keepFocus: true } : undefined);
    };
    listen(filters, 'submit', (e) => {
      e.preventDefault();
      const f = {};
      if (q.value.trim()) f.q = q.value.trim();
      if (stateSel.value) f.state = stateSel.value;
      if (approvalSel.value) f.approval = approvalSel.value;
      if (profileSel.value === NO_PROFILE) f.profile = '';
      else if (profileSel.value) f.profile = profileSel.value;
      if (tag.value.trim()) f.tag = tag.value.trim();
      if (JSON.stringify(routeParams(f, [])) === JSON.stringify(routeParams(filter, pages))) load();
      else go(f, [], 'devices-apply');
    });
    listen(reset, 'click', () => go({}, []));

    // Actions over the selection.
    const selectionLine = h('p', { id: 'devices-selection', class: 'devices-selection', 'aria-live': 'polite' });
    const bulk = {};
    const bulkButton = (name, text, cls) => {
      bulk[name] = h('button', { type: 'button', class: cls, 'data-bulk': name }, text);
      return bulk[name];
    };
    const exportButton = h('button', { id: 'devices-export', type: 'button', class: 'secondary' }, 'Export CSV');
    const actions = h('div', { class: 'devices-actions' },
      manage ? h('div', { class: 'devices-bulk', role: 'group', 'aria-label': 'Bulk actions' },
        bulkButton('assign', 'Assign profile…', 'secondary'),
        bulkButton('move', 'Move profile…', 'secondary'),
        bulkButton('unassign', 'Unassign', 'secondary'),
        bulkButton('reset', 'Reset', 'danger'),
        bulkButton('delete', 'Delete', 'danger')) : null,
      exportButton);

    // The table.
    const selectPage = h('input', { type: 'checkbox', id: 'devices-select-page',
      'aria-label': 'Select every device on this page' });
    const tbody = h('tbody');
    const table = h('table', { id: 'devices-table', class: 'devices-table' },
      h('caption', { class: 'visually-hidden' }, 'Devices'),
      h('thead', {}, h('tr', {},
        manage ? h('th', { scope: 'col', class: 'col-select' }, selectPage) : null,
        ['Key', 'Serial', 'Profile', 'Approval', 'State', 'Tags', 'Source', 'Last change']
          .map((t) => h('th', { scope: 'col' }, t)))),
      tbody);
    const tableWrap = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Devices table' },
      table);
    const status = h('p', { id: 'devices-status', class: 'devices-status' });
    const prev = h('button', { id: 'devices-prev', type: 'button', class: 'secondary' }, '← Previous page');
    const nextButton = h('button', { id: 'devices-next', type: 'button', class: 'secondary' }, 'Next page →');
    const pageLabel = h('span', { class: 'devices-page' }, `Page ${pages.length + 1}`);
    prev.disabled = pages.length === 0;
    nextButton.disabled = true;
    listen(prev, 'click', () => go(filter, pages.slice(0, -1), 'devices-prev'));
    listen(nextButton, 'click', () => { if (next) go(filter, [...pages, next], 'devices-next'); });
    const pager = h('nav', { class: 'devices-pager', 'aria-label': 'Device pages' }, prev, pageLabel, nextButton);

    root.append(h('h1', {}, 'Devices'), filters, actions, selectionLine, status, tableWrap, pager);

    function updateSelection() {
      const n = selected.size;
      for (const name of ['assign', 'unassign', 'reset', 'delete']) if (bulk[name]) bulk[name].disabled = !allMatching && n === 0;
      if (!manage) {
        clear(selectionLine);
        return;
      }
      selectPage.checked = rows.length > 0 && n === rows.length;
      selectPage.indeterminate = n > 0 && n < rows.length;
      clear(selectionLine);
      if (allMatching) {
        const clearSel = h('button', { type: 'button', class: 'link' }, 'Clear selection');
        clearSel.id = 'devices-clear-selection';
        listen(clearSel, 'click', () => {
          allMatching = false;
          selected.clear();
          syncBoxes();
          updateSelection();
          selectPage.focus();  // the button is gone; the page's box is where selecting starts again
        });
        selectionLine.append(`${matching === null ? 'Every device' : `All ${plural(matching, 'device', 'devices')}`} matching the filter ${matching === null ? 'is' : 'are'} selected (${describeFilter(filter)}). `, clearSel);
      } else if (n > 0) {
        selectionLine.append(`${plural(n, 'device', 'devices')} selected on this page. `);
        if (n === rows.length && (next || pages.length)) {
          const all = h('button', { type: 'button', id: 'devices-select-all', class: 'link' },
            'Select every device matching the filter');
          listen(all, 'click', () => {
            allMatching = true;
            updateSelection();
            selectionLine.querySelector('button').focus();  // the line's Clear selection replaces this button
            countMatching();
          });
          selectionLine.append(all);
        }
      }
    }

    function syncBoxes() {
      for (const box of tbody.querySelectorAll('input.device-select')) {
        box.checked = allMatching || selected.has(box.value);
        box.closest('tr').classList.toggle('selected', box.checked);
      }
    }

    listen(selectPage, 'change', () => {
      allMatching = false;
      if (selectPage.checked) for (const r of rows) selected.add(r.key);
      else selected.clear();
      syncBoxes();
      updateSelection();
    });

    function renderRows(list) {
      const frag = document.createDocumentFragment();
      for (const d of list) {
        let box = null;
        if (manage) {
          box = h('input', { type: 'checkbox', class: 'device-select', value: d.key, 'aria-label': `Select ${d.key}` });
          box.checked = selected.has(d.key);
        }
        const tags = d.tags || [];
        frag.append(h('tr', { 'data-device': d.key },
          manage ? h('td', { class: 'col-select' }, box) : null,
          h('th', { scope: 'row', class: 'device-key' },
            h('button', { type: 'button', class: 'link device-show', 'data-show': d.key,
              'aria-label': `${d.key}: details and history` }, d.key)),
          h('td', {}, d.serial || ''),
          h('td', { class: d.profile ? '' : 'muted' }, d.profile || '(default)'),
          h('td', {}, d.approval ? badge(d.approval) : ''),
          h('td', {}, d.state ? badge(d.state) : ''),
          h('td', { class: 'device-tags' }, tags.map((t) => h('span', { class: 'tag' }, t))),
          h('td', {}, d.source || ''),
          h('td', { class: 'nowrap' }, d.updated_ms ? formatTime(d.updated_ms) : (d.updated ? formatTime(d.updated) : ''))));
      }
      clear(tbody);
      tbody.append(frag);
    }

    listen(tbody, 'click', (e) => {
      const button = e.target.closest && e.target.closest('button.device-show');
      if (button) showDevice(ctx, button.dataset.show);
    });

    listen(tbody, 'change', (e) => {
      const box = e.target;
      if (!box.classList || !box.classList.contains('device-select')) return;
      if (allMatching) {
        // Leaving "every matching device" for the boxes on this page.
        allMatching = false;
        for (const r of rows) selected.add(r.key);
      }
      if (box.checked) selected.add(box.value);
      else selected.delete(box.value);
      syncBoxes();
      updateSelection();
    });

    async function load() {
      const generation = ++loads;
      root.dataset.ready = 'false';
      const started = performance.now();
      let page;
      try {
        page = await api.get('/devices', { ...filter, page_size: PAGE_SIZE, cursor });
      } catch (err) {
        if (gone || generation !== loads) return;  // left, or a newer load() draws
        rows = [];
        next = null;
        clear(tbody);
        status.textContent = `The devices could not be read: ${errorText(err)}`;
        status.classList.add('error-text');
        nextButton.disabled = true;
        updateSelection();
        root.dataset.renderMs = String(Math.round(performance.now() - started));
        root.dataset.ready = 'true';
        return;
      }
      if (gone || generation !== loads) return;
      rows = page.devices || [];
      next = page.next_cursor || null;
      selected.clear();
      allMatching = false;
      matching = null;
      renderRows(rows);
      status.classList.remove('error-text');
      const first = pages.length * PAGE_SIZE + 1;
      status.textContent = rows.length
        ? `Devices ${first}–${first + rows.length - 1}${next ? '' : ' (the last page)'}${Object.keys(filter).length ? ` matching ${describeFilter(filter)}` : ''}`
        : (pages.length ? 'No more devices.' : `No devices${Object.keys(filter).length ? ` match ${describeFilter(filter)}` : ' yet'}.`);
      nextButton.disabled = !next;
      updateSelection();
      root.dataset.renderMs = String(Math.round(performance.now() - started));
      root.dataset.ready = 'true';
    }

    // After the first page of this mount is shown: the pager button or Apply
    // pressed on the page before gets the keyboard back (the other pager
    // button when it is the last or the first page now), unless the keyboard
    // went somewhere else meanwhile.
    async function firstLoad() {
      await load();
      if (gone || !refocus) return;
      const active = document.activeElement;
      const h1 = root.querySelector('h1');
      if (active && active !== document.body && active !== h1 && active !== document.documentElement) return;
      const order = { 'devices-next': [nextButton, prev], 'devices-prev': [prev, nextButton], 'devices-apply': [apply] };
      const target = (order[refocus] || []).find((b) => !b.disabled);
      if (target) target.focus();
    }

    async function loadProfiles() {
      if (isReseller) return;  // a reseller may not read the catalog
      try {
        const answer = await api.get('/profiles');
        if (gone) return;
        profiles = answer.profiles || [];
        fillProfiles();
      } catch {
        // The filter still works with a typed-in hash; the select offers only any/default.
      }
    }

    async function runBulk(action, body, what) {
      try {
        const done = await api.post(`/devices/${action}`, body);
        ctx.notify(done.message || `${plural(done.count || 0, 'device', 'devices')} ${what}`, 'success');
      } catch (err) {
        ctx.notify(errorText(err), 'error');
      }
      if (gone) return;
      await load();
      // A row's box that had the focus was drawn anew: keep the keyboard in the view.
      if (!document.activeElement || document.activeElement === document.body) {
        if (!status.hasAttribute('tabindex')) status.setAttribute('tabindex', '-1');
        status.focus();
      }
    }

    function target() {
      if (allMatching) return { all: true, filter: bulkFilter(filter) };
      return { keys: [...selected] };
    }

    // The report counts the whole inventory and the pending devices: the two
    // filters whose total it gives without reading every page.
    async function countMatching() {
      const keys = Object.keys(filter);
      const whole = keys.length === 0;
      const pendingOnly = keys.length === 1 && filter.approval === 'pending';
      if (!whole && !pendingOnly) return;
      try {
        const report = await api.get('/reports/devices');
        if (gone || !allMatching) return;
        matching = (whole ? report.devices : report.pending_approval) || 0;
        const hadFocus = document.activeElement && selectionLine.contains(document.activeElement);
        updateSelection();
        if (hadFocus) selectionLine.querySelector('button').focus();
      } catch {
        // Without the count the selection line says "every device".
      }
    }

    function targetText() {
      if (allMatching && matching !== null) return `all ${plural(matching, 'device', 'devices')} matching the filter (${describeFilter(filter)})`;
      if (allMatching) return `every device matching the filter (${describeFilter(filter)})`;
      return plural(selected.size, 'device', 'devices');
    }

    // What the selection is now, to compare after a dialog: the action runs
    // only on the selection the dialog named.
    const selectionKey = () => JSON.stringify(allMatching ? { all: filter } : [...selected].sort());
    // After an awaited dialog or read: still mounted, and the same selection?
    function stillSame(before) {
      if (gone) return false;
      if (selectionKey() === before) return true;
      ctx.notify('The selection changed while the dialog was open: nothing was done. Choose again.', 'error');
      return false;
    }

    const profileOptions = () => profiles.map((p) => ({ value: p.name, text: p.is_default ? `${p.name} (default)` : p.name }));

    if (manage) {
      listen(bulk.assign, 'click', async () => {
        const before = selectionKey();
        if (!profiles.length) await loadProfiles();
        if (!stillSame(before)) return;
        if (!profiles.length) { ctx.notify('There is no profile to assign.', 'error'); return; }
        const body = target();
        const choice = await choiceDialog(`Assign a profile to ${targetText()}`,
          [{ name: 'profile', label: 'Profile', options: profileOptions() }], 'Assign');
        if (choice && stillSame(before)) await runBulk('assign', { ...body, profile: choice.profile }, `assigned to ${choice.profile}`);
      });
      listen(bulk.move, 'click', async () => {
        if (!profiles.length) await loadProfiles();
        if (gone) return;
        if (!profiles.length) { ctx.notify('There is no profile to move devices between.', 'error'); return; }
        const choice = await choiceDialog('Move every device of one profile to another', [
          { name: 'from', label: 'From profile', options: profileOptions(), value: filter.profile || undefined },
          { name: 'to', label: 'To profile', options: profileOptions() }], 'Move');
        if (!choice || gone) return;
        if (choice.from === choice.to) { ctx.notify('Choose two different profiles.', 'error'); return; }
        await runBulk('move', { from_profile: choice.from, to_profile: choice.to }, `moved to ${choice.to}`);
      });
      listen(bulk.unassign, 'click', async () => {
        const before = selectionKey();
        const body = target();
        const ok = await confirmDialog('Unassign devices',
          `Put ${targetText()} back on the default profile?`, 'Unassign');
        if (ok && stillSame(before)) await runBulk('unassign', body, 'back on the default profile');
      });
      listen(bulk.reset, 'click', async () => {
        const before = selectionKey();
        const body = target();
        const ok = await confirmDialog('Reset devices',
          `Re-arm ${targetText()} so they may enroll again (after a factory reset)?`, 'Reset', { danger: true });
        if (ok && stillSame(before)) await runBulk('reset', body, 're-armed');
      });
      listen(bulk.delete, 'click', async () => {
        const before = selectionKey();
        const body = target();
        const ok = await confirmDialog('Delete devices',
          `Delete ${targetText()} from the inventory? This cannot be undone.`, 'Delete', { danger: true });
        if (ok && stillSame(before)) await runBulk('delete', body, 'deleted');
      });
    }

    listen(exportButton, 'click', async () => {
      exportButton.disabled = true;
      try {
        const blob = await api.blob('/devices/export', { ...filter });
        downloadBlob(blob, `devices-${stamp()}.csv`);
      } catch (err) {
        ctx.notify(`Export failed: ${errorText(err)}`, 'error');
      } finally {
        exportButton.disabled = false;
      }
    });

    const stopImport = canUpload ? mountImport(root, ctx, () => gone, load) : null;

    updateSelection();
    loadProfiles();
    firstLoad();
    return () => {
      gone = true;
      if (stopImport) stopImport();
    };
  },
};

// A device's identifiers and its ledger history (GET /devices/{key}) in a modal.
async function showDevice(ctx, key) {
  const opener = document.activeElement;
  const titleId = `device-title-${Math.random().toString(36).slice(2)}`;
  const body = h('div', { class: 'device-detail-body' }, h('p', {}, 'Reading…'));
  const close = h('button', { type: 'button', class: 'secondary', 'data-action': 'dialog-cancel' }, 'Close');
  const dialog = h('dialog', { class: 'device-detail', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, `Device ${key}`), body, h('div', { class: 'dialog-buttons' }, close));
  listen(close, 'click', () => dialog.close());
  listen(dialog, 'close', () => {
    dialog.remove();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  let detail;
  try {
    detail = await ctx.api.get(`/devices/${encodeURIComponent(key)}`);
  } catch (err) {
    clear(body).append(h('p', { class: 'error-text' }, errorText(err)));
    return;
  }
  const d = detail.device || {};
  const facts = [['IMEI', d.imei], ['IMEI 2', d.imei2], ['MEID', d.meid], ['Serial', d.serial], ['Wi-Fi MAC', d.wifi_mac],
    ['User id', d.user_id], ['Password', d.has_password ? 'set (never shown)' : ''], ['Profile', d.profile || '(default)'],
    ['Tags', (d.tags || []).join(', ')], ['Source', d.source], ['Approval', d.approval], ['State', d.state],
    ['Last change', formatTime(d.updated_ms || d.updated)]].filter(([, v]) => v);
  const history = detail.history || [];
  clear(body).append(
    h('dl', { class: 'device-facts' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
    h('h3', {}, 'History'),
    history.length
      ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `History of ${key}` },
        h('table', { class: 'compact' },
          h('caption', { class: 'visually-hidden' }, `Ledger entries of ${key}`),
          h('thead', {}, h('tr', {}, ['Time', 'Outcome', 'Transport', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, history.map((r) => h('tr', {},
            h('td', { class: 'nowrap' }, formatTime(r.time_ms || r.time)),
            h('td', {}, r.state ? badge(r.state) : (r.event || '')),
            h('td', {}, r.transport || ''),
            h('td', {}, [r.reason || r.event || '', r.count > 1 ? ` (${r.count} times)` : ''].join('')))))))
      : h('p', { class: 'muted' }, 'No ledger entries yet.'));
}
