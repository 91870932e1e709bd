// Uploads: devices awaiting the admin's approval (as KME's "devices pending
// approval"), grouped by upload. A DeviceRow carries no upload id, so an
// upload is the devices of one source (the reseller id a reseller's upload
// records, or the --source an admin gave) written close together in time:
// an upload is written in slices, each slice stamps its devices, and slices
// follow one another within seconds. Actions send the devices' keys, so they
// touch exactly the devices shown, never one that arrived after the page was read.
import { h, clear, formatTime, confirmDialog, errorText, listen, plural } from '../lib/dom.js';

const PAGE_SIZE = 1000;
// Pending devices read at most; beyond, the page says so and offers to
// approve every pending device at once.
const MAX_PENDING = 10000;
// Devices of one source whose stamps lie within this of the previous one
// belong to the same upload.
const UPLOAD_GAP_MS = 60 * 1000;
// Rows listed per upload before the rest is summed up.
const MAX_ROWS_SHOWN = 200;

// Pending devices -> uploads, newest first: [{key, source, first_ms, last_ms, devices}].
export function groupUploads(devices) {
  const bySource = new Map();
  for (const d of devices) {
    const s = d.source || '';
    if (!bySource.has(s)) bySource.set(s, []);
    bySource.get(s).push(d);
  }
  const groups = [];
  for (const [source, list] of bySource) {
    list.sort((a, b) => (a.updated_ms || 0) - (b.updated_ms || 0) || (a.key < b.key ? -1 : 1));
    let group = null;
    for (const d of list) {
      const t = Number(d.updated_ms || 0);
      if (!group || t - group.last_ms > UPLOAD_GAP_MS) {
        group = { key: `${source || '-'}@${t}`, source, first_ms: t, last_ms: t, devices: [] };
        groups.push(group);
      }
      group.last_ms = t;
      group.devices.push(d);
    }
  }
  groups.sort((a, b) => b.first_ms - a.first_ms || (a.source < b.source ? -1 : 1));
  return groups;
}

export default {
  id: 'uploads',
  title: 'Uploads',
  roles: ['msp-admin', 'customer-admin'],
  mount(root, ctx) {
    const { api } = ctx;
    let gone = false;
    let busy = false;
    const selected = new Set();
    let resellers = new Map();  // reseller id -> name
    const groupKeys = new Map();  // upload key -> its devices' keys (listed, shown or not)

    root.dataset.ready = 'false';
    const approveSel = h('button', { id: 'uploads-approve-selected', type: 'button', class: 'primary' },
      'Approve selected');
    const rejectSel = h('button', { id: 'uploads-reject-selected', type: 'button', class: 'danger' },
      'Reject selected');
    const selection = h('p', { id: 'uploads-selection', class: 'uploads-selection', 'aria-live': 'polite' });
    const summary = h('p', { id: 'uploads-summary', class: 'uploads-summary' });
    const list = h('div', { id: 'uploads-list', class: 'uploads-list' });
    root.append(
      h('h1', {}, 'Uploads'),
      h('p', { class: 'uploads-intro' },
        'Devices a reseller or an untrusted source uploaded wait here until you approve them; until then kdad refuses their enrollment.'),
      summary,
      h('div', { class: 'uploads-actions', role: 'group', 'aria-label': 'Selected devices' }, approveSel, rejectSel, selection),
      list);

    function updateSelection() {
      approveSel.disabled = busy || selected.size === 0;
      rejectSel.disabled = busy || selected.size === 0;
      selection.textContent = selected.size ? `${plural(selected.size, 'device', 'devices')} selected` : '';
      for (const box of list.querySelectorAll('input.upload-group-select')) {
        const keys = groupKeys.get(box.value) || [];
        const n = keys.filter((k) => selected.has(k)).length;
        box.checked = keys.length > 0 && n === keys.length;
        box.indeterminate = n > 0 && n < keys.length;
      }
    }

    function setBusy(on) {
      busy = on;
      for (const b of root.querySelectorAll('button[data-action], #uploads-approve-all-pending')) b.disabled = on;
      updateSelection();
    }

    const selectionKey = () => JSON.stringify([...selected].sort());

    // fromSelection: body.keys are the ticked devices; after the dialog they
    // must still be (a reload while it was open drops devices no longer pending).
    async function act(action, body, count, { fromSelection = false } = {}) {
      if (action === 'reject') {
        const before = selectionKey();
        const ok = await confirmDialog('Reject devices',
          `Reject ${count}? kdad will refuse their enrollment until an admin approves them again.`, 'Reject',
          { danger: true });
        // Left meanwhile (Back, sign-out): the dialog's question is gone with the view.
        if (!ok || gone) return;
        if (fromSelection && selectionKey() !== before) {
          ctx.notify('The selection changed while the dialog was open: nothing was rejected. Choose again.', 'error');
          return;
        }
      }
      setBusy(true);
      root.dataset.ready = 'false';
      try {
        const done = await api.post(`/devices/${action}`, body);
        ctx.notify(done.message || `${plural(done.count || 0, 'device', 'devices')} ${action === 'approve' ? 'approved' : 'rejected'}`,
          'success');
      } catch (err) {
        ctx.notify(errorText(err), 'error');
      }
      if (gone) return;
      busy = false;
      await load();
      // The button pressed went with its group: keep the keyboard in the view.
      if (!gone && (!document.activeElement || document.activeElement === document.body)) focusHeading();
    }

    function focusHeading() {
      const h1 = root.querySelector('h1');
      if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
      h1.focus();
    }

    listen(approveSel, 'click', () => act('approve', { keys: [...selected] }, plural(selected.size, 'device', 'devices'),
      { fromSelection: true }));
    listen(rejectSel, 'click', () => act('reject', { keys: [...selected] }, plural(selected.size, 'device', 'devices'),
      { fromSelection: true }));
    listen(list, 'change', (e) => {
      const box = e.target;
      if (box.classList.contains('upload-select')) {
        if (box.checked) selected.add(box.value);
        else selected.delete(box.value);
      } else if (box.classList.contains('upload-group-select')) {
        for (const k of groupKeys.get(box.value) || []) {
          if (box.checked) selected.add(k);
          else selected.delete(k);
        }
        const group = list.querySelector(`[data-upload="${CSS.escape(box.value)}"]`);
        for (const b of group.querySelectorAll('input.upload-select')) b.checked = box.checked;
      }
      updateSelection();
    });

    function sourceTitle(source) {
      if (!source) return 'No source';
      const name = resellers.get(source);
      return name ? `${name} (${source})` : source;
    }

    // capped: the listing stopped at MAX_PENDING, so a group may hold more devices than it shows.
    function renderGroup(g, n, capped) {
      const headingId = `upload-${n}`;
      const count = plural(g.devices.length, 'device', 'devices');
      const approve = h('button', { type: 'button', class: 'primary', 'data-action': 'approve',
        'aria-describedby': headingId }, capped ? `Approve the ${plural(g.devices.length, 'listed', 'listed')}` : `Approve all ${g.devices.length.toLocaleString('en')}`);
      const reject = h('button', { type: 'button', class: 'danger', 'data-action': 'reject',
        'aria-describedby': headingId }, capped ? `Reject the ${plural(g.devices.length, 'listed', 'listed')}` : `Reject all ${g.devices.length.toLocaleString('en')}`);
      const keys = g.devices.map((d) => d.key);
      groupKeys.set(g.key, keys);
      listen(approve, 'click', () => act('approve', { keys }, count));
      listen(reject, 'click', () => act('reject', { keys }, `${count} of this upload`));
      const shown = g.devices.slice(0, MAX_ROWS_SHOWN);
      const groupBox = h('input', { type: 'checkbox', class: 'upload-group-select', value: g.key,
        'aria-label': `Select every device of this upload (${count})` });
      const when = g.first_ms === g.last_ms || formatTime(g.first_ms) === formatTime(g.last_ms)
        ? formatTime(g.first_ms) : `${formatTime(g.first_ms)} to ${formatTime(g.last_ms)}`;
      return h('section', { class: 'upload-group', 'data-upload': g.key, 'aria-labelledby': `${headingId} ${headingId}-time` },
        h('div', { class: 'upload-head' },
          h('div', {},
            h('h2', { id: headingId }, sourceTitle(g.source)),
            h('p', { class: 'upload-meta' },
              g.source && resellers.has(g.source) ? [h('span', { class: 'upload-reseller' }, `Reseller ${g.source}`), ' · '] : null,
              h('span', { class: 'upload-time', id: `${headingId}-time` }, when ? `Uploaded ${when}` : 'Upload time unknown'),
              ' · ', h('span', { class: 'upload-count' }, count))),
          h('div', { class: 'upload-buttons' }, approve, reject)),
        h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `Devices of ${sourceTitle(g.source)}, ${when}` },
          h('table', { class: 'upload-table' },
            h('caption', { class: 'visually-hidden' }, `Pending devices from ${sourceTitle(g.source)}`),
            h('thead', {}, h('tr', {},
              h('th', { scope: 'col', class: 'col-select' }, groupBox),
              ['Key', 'Serial', 'Profile', 'Tags', 'Uploaded'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, shown.map((d) => {
              const box = h('input', { type: 'checkbox', class: 'upload-select', value: d.key,
                'aria-label': `Select ${d.key}` });
              box.checked = selected.has(d.key);
              return h('tr', { 'data-device': d.key },
                h('td', { class: 'col-select' }, box),
                h('th', { scope: 'row' }, d.key),
                h('td', {}, d.serial || ''),
                h('td', { class: d.profile ? '' : 'muted' }, d.profile || '(default)'),
                h('td', {}, (d.tags || []).join(', ')),
                h('td', { class: 'nowrap' }, formatTime(d.updated_ms || d.updated)));
            })))),
        g.devices.length > shown.length
          ? h('p', { class: 'upload-more' }, `and ${g.devices.length - shown.length} more devices of this upload (Approve all and Reject all include them).`)
          : null);
    }

    async function readPending() {
      const devices = [];
      let cursor;
      do {
        const page = await api.get('/devices', { approval: 'pending', page_size: PAGE_SIZE, cursor });
        devices.push(...(page.devices || []));
        cursor = page.next_cursor;
      } while (cursor && devices.length < MAX_PENDING && !gone);
      return { devices, more: Boolean(cursor) };
    }

    async function readResellers() {
      try {
        const answer = await api.get('/resellers');
        return new Map((answer.resellers || []).map((r) => [r.reseller_id, r.name || '']));
      } catch {
        return new Map();  // names are a nicety; the ids still show
      }
    }

    async function readTotal() {
      try {
        const report = await api.get('/reports/devices');
        return report.pending_approval || 0;
      } catch {
        return null;
      }
    }

    async function load() {
      root.dataset.ready = 'false';
      let pending;
      let total;
      try {
        [pending, resellers, total] = await Promise.all([readPending(), readResellers(), readTotal()]);
      } catch (err) {
        if (gone) return;
        clear(list);
        summary.textContent = `The pending devices could not be read: ${errorText(err)}`;
        root.dataset.ready = 'true';
        return;
      }
      if (gone) return;
      const groups = groupUploads(pending.devices);
      const keys = new Set(pending.devices.map((d) => d.key));
      for (const k of [...selected]) if (!keys.has(k)) selected.delete(k);
      clear(list);
      clear(summary);
      groupKeys.clear();
      if (!groups.length) {
        summary.append('No devices await approval.');
      } else {
        if (!pending.more) {
          summary.append(`${plural(pending.devices.length, 'device awaits', 'devices await')} approval in ${plural(groups.length, 'upload', 'uploads')}.`);
        } else {
          const n = total === null ? `More than ${plural(pending.devices.length, 'device', 'devices')}` : plural(total, 'device', 'devices');
          const all = h('button', { type: 'button', id: 'uploads-approve-all-pending', class: 'secondary' },
            'Approve every pending device');
          listen(all, 'click', async () => {
            const ok = await confirmDialog('Approve every pending device',
              `Approve ${total === null ? 'every pending device' : plural(total, 'pending device', 'pending devices')}, listed here or not?`, 'Approve');
            if (ok && !gone) await act('approve', { all: true, filter: { approval: 'pending' } }, 'every pending device');
          });
          summary.append(`${n} await approval; the first ${plural(pending.devices.length, 'device', 'devices')} (in key order) are listed below by upload. `, all);
        }
      }
      list.append(...groups.map((g, n) => renderGroup(g, n, pending.more)));
      setBusy(false);
      root.dataset.ready = 'true';
    }

    load();
    return () => { gone = true; };
  },
};

