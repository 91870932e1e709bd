// Profiles: the catalog's list, the open profile's panel with its toolbar (copy, delete,
// set default, NDEF record) and QR code (secrets); the editor form is in profile_editor.js.
// Secrets stay "(hidden)" unless the role may read them and the admin asks.
import { h, clear, badge, confirmDialog, downloadBlob, errorText } from '../lib/dom.js';
import { normalize, editorForm } from './profile_editor.js';

const enc = (name) => encodeURIComponent(name);


export default {
  id: 'profiles',
  title: 'Profiles',
  roles: ['msp-admin', 'customer-admin', 'desk-operator', 'viewer'],
  mount(root, ctx) {
    return mountProfiles(root, ctx);
  },
};

function mountProfiles(root, ctx) {
  const manage = ctx.can('manage_profiles');
  const secrets = ctx.can('secrets');
  const urls = new Set();
  let alive = true;
  let profiles = [];
  let loads = 0;
  let current = null;  // the open profile: {name (null for a new one), base (normalized answer), revealed}

  const busy = () => { loads += 1; root.dataset.ready = 'false'; };
  const done = () => { loads = Math.max(0, loads - 1); if (loads === 0 && alive) root.dataset.ready = 'true'; };

  const listStatus = h('p', { class: 'profiles-status', role: 'status' });
  const tbody = h('tbody');
  const table = h('table', { id: 'profiles-table', class: 'profiles-table' },
    h('caption', {}, 'Enrollment profiles (the default first)'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'Default'),
      h('th', { scope: 'col', class: 'num' }, 'Devices'),
      h('th', { scope: 'col' }, 'Company'),
      h('th', { scope: 'col' }, 'Description'),
      h('th', { scope: 'col' }, 'Actions'))),
    tbody);
  const panel = h('div', { class: 'profile-panel', id: 'profile-panel' });

  const toolbar = h('div', { class: 'profiles-toolbar' },
    manage ? h('button', { type: 'button', id: 'profile-new', class: 'primary', onclick: () => openProfile(null) },
      'New profile') : null,
    h('button', { type: 'button', id: 'profiles-reload', onclick: () => loadList() }, 'Reload'));

  root.append(
    h('h1', {}, 'Profiles'),
    h('p', { class: 'profiles-intro' },
      'A profile is what a phone receives at enrollment: the MDM agent, its server and token, Wi-Fi and setup '
      + 'choices. The default profile goes to every approved device without one of its own.'),
    toolbar, listStatus,
    h('div', { class: 'table-wrap profiles-table-wrap' }, table),
    panel);

  function actionButton(label, action, name, onclick, extra) {
    return h('button', { type: 'button', class: ['small', extra && extra.class], 'data-action': action,
      'aria-label': `${label}: ${name}`, onclick }, label);
  }

  // Where the keyboard was in the table: the row's profile, the button's action, the row's place.
  function listFocus() {
    const el = document.activeElement;
    const tr = el && tbody.contains(el) ? el.closest('tr[data-profile]') : null;
    if (!tr) return null;
    return { name: tr.dataset.profile, action: el.dataset.action || null, index: [...tbody.rows].indexOf(tr) };
  }

  // Back to the same row's same button, else its first one (Set default is gone once it is the
  // default), else the row now at its place (the next one after a delete), the last one, or Reload.
  function restoreListFocus(at) {
    if (!at) return;
    const rows = [...tbody.querySelectorAll('tr[data-profile]')];
    const row = rows.find((r) => r.dataset.profile === at.name);
    const target = (row && at.action && row.querySelector(`button[data-action="${CSS.escape(at.action)}"]`))
      || (row && row.querySelector('button'))
      || ((rows[at.index] || rows[rows.length - 1]) || { querySelector: () => null }).querySelector('button')
      || root.querySelector('#profiles-reload');
    if (target) target.focus();
  }

  function renderList(keep = listFocus()) {
    clear(tbody);
    for (const p of profiles) {
      const name = p.name;
      const actions = [
        actionButton(manage ? 'Edit' : 'View', manage ? 'edit' : 'view', name, () => openProfile(name)),
        secrets ? actionButton('QR', 'qr', name, () => openProfile(name, { qr: true })) : null,
        secrets ? actionButton('NDEF', 'ndef', name, () => downloadNdef(name)) : null,
        manage ? actionButton('Copy', 'copy', name, () => openProfile(name, { focus: 'copy' })) : null,
        manage && !p.is_default ? actionButton('Set default', 'default', name, () => setDefault(name)) : null,
        manage ? actionButton('Delete', 'delete', name, () => deleteProfile(name), { class: 'danger' }) : null,
      ];
      tbody.append(h('tr', { 'data-profile': name, class: p.is_default ? 'is-default' : '' },
        h('th', { scope: 'row' }, name),
        h('td', {}, p.is_default ? badge('Default', 'ok') : ''),
        h('td', { class: 'num' }, String(p.devices || 0)),
        h('td', {}, p.company_name || ''),
        h('td', { class: 'profile-description' }, p.description || ''),
        h('td', { class: 'actions' }, h('div', { class: 'profile-actions' }, actions))));
    }
    listStatus.textContent = profiles.length === 1 ? '1 profile' : `${profiles.length} profiles`;
    restoreListFocus(keep);
  }

  // keep: where to put the focus back when it was in a control the reload removes (listFocus()).
  async function loadList(keep = null) {
    busy();
    try {
      const ans = await ctx.api.get('/profiles');
      if (!alive) return;
      profiles = Array.isArray(ans.profiles) ? ans.profiles : [];
      const lost = !document.activeElement || document.activeElement === document.body;
      renderList(listFocus() || (lost ? keep : null));
    } catch (e) {
      if (alive) listStatus.textContent = 'Could not read the profiles: ' + errorText(e);
    } finally {
      done();
    }
  }

  async function setDefault(name) {
    try {
      await ctx.api.put('/default-profile', { name });
      ctx.notify(`"${name}" is now the default profile`, 'success');  // done, even if the view was left
      if (!alive) return;
      await loadList();
      if (alive && current && current.name === name) openProfile(name);
    } catch (e) {
      ctx.notify(`Could not make "${name}" the default: ${errorText(e)}`, 'error');
    }
  }

  async function deleteProfile(name) {
    const ok = await confirmDialog('Delete profile', `Delete the profile "${name}"? This cannot be undone. `
      + 'A profile that devices are assigned cannot be deleted: move them first.', 'Delete');
    // The view may have been left while the dialog was open (Back): then nothing is done.
    if (!ok || !alive) return;
    // Deleted from the open panel, the focus goes where the row was (the panel closes).
    const rowIndex = [...tbody.rows].findIndex((r) => r.dataset.profile === name);
    try {
      await ctx.api.del('/profiles/' + enc(name));
      ctx.notify(`Profile "${name}" deleted`, 'success');  // done, even if the view was left meanwhile
      if (!alive) return;
      if (current && current.name === name) closePanel();
      await loadList({ name, action: 'delete', index: Math.max(0, rowIndex) });
    } catch (e) {
      ctx.notify(`Could not delete "${name}": ${errorText(e)}`, 'error');
    }
  }

  async function downloadNdef(name) {
    try {
      const blob = await ctx.api.blob('/profiles/' + enc(name) + '/ndef');
      downloadBlob(blob, name + '.ndef');
    } catch (e) {
      ctx.notify(`Could not make the NDEF record of "${name}": ${errorText(e)}`, 'error');
    }
  }

  // ---- the open profile: toolbar, QR, editor ----

  // What the editor form (profile_editor.js) uses of this view; current and alive as they are now.
  const editorView = {
    ctx, manage, secrets, busy, done, closePanel, loadList, openProfile,
    get current() { return current; },
    get alive() { return alive; },
  };

  function revokeAll() {
    for (const u of urls) URL.revokeObjectURL(u);
    urls.clear();
  }

  function closePanel(focusBack = false) {
    const name = current ? current.name : null;
    revokeAll();
    current = null;
    clear(panel);
    if (!focusBack) return;
    // Back to where the profile was opened from: its row, else the list's first button.
    const row = [...tbody.rows].find((r) => r.dataset.profile === name);
    const back = (row && row.querySelector('button')) || root.querySelector('#profile-new, #profiles-reload');
    if (back) back.focus();
  }

  let opening = 0;  // the latest openProfile: an older answer arriving late is dropped

  async function openProfile(name, opts = {}) {
    const mine = ++opening;
    busy();
    try {
      let base;
      if (name === null) base = normalize({});
      else base = normalize(await ctx.api.get('/profiles/' + enc(name)));
      if (!alive || mine !== opening) return;
      revokeAll();
      current = { name, base, revealed: false };
      renderPanel(opts);
    } catch (e) {
      if (alive) ctx.notify(`Could not open "${name}": ${errorText(e)}`, 'error');
    } finally {
      done();
    }
  }

  function renderPanel(opts) {
    clear(panel);
    const name = current.name;
    const title = name === null ? 'New profile' : (manage ? `Edit profile "${name}"` : `Profile "${name}"`);
    const heading = h('h2', { id: 'profile-panel-title', tabindex: '-1' }, title);
    const parts = [heading];
    if (name !== null) parts.push(profileToolbar(name));
    if (name !== null && secrets) parts.push(qrSection(name, opts.qr));
    parts.push(editorForm(editorView));
    panel.append(h('section', { class: 'panel profile-detail', 'aria-labelledby': 'profile-panel-title' }, parts));
    const focusTarget = opts.focus === 'copy' ? panel.querySelector('#profile-copy-name')
      : opts.qr ? panel.querySelector('#profile-qr-section h3') : heading;
    // Scrolled to the start of the panel (or the QR), below the shell's sticky bar (scroll-margin-top).
    const scrollTarget = opts.qr ? panel.querySelector('#profile-qr-section') || panel : panel;
    scrollTarget.scrollIntoView({ block: 'start' });
    if (focusTarget) {
      focusTarget.focus({ preventScroll: true });
      if (focusTarget.select) focusTarget.select();
    }
  }

  function profileToolbar(name) {
    const items = [];
    if (manage) {
      const copyName = h('input', { id: 'profile-copy-name', type: 'text', name: 'new_name', autocomplete: 'off',
        value: name + ' copy' });
      const copyForm = h('form', { class: 'profile-copy', 'aria-label': 'Copy this profile' },
        h('label', { for: 'profile-copy-name' }, 'Copy as'), copyName,
        h('button', { type: 'submit', id: 'profile-copy' }, 'Copy'));
      copyForm.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const newName = copyName.value.trim();
        if (!newName) { ctx.notify('Give the copy a name', 'error'); copyName.focus(); return; }
        try {
          await ctx.api.post('/profiles/' + enc(name) + '/copy', { new_name: newName });
          ctx.notify(`"${name}" copied to "${newName}" (secrets included)`, 'success');
          await loadList();
          openProfile(newName);
        } catch (e) {
          ctx.notify(`Could not copy "${name}": ${errorText(e)}`, 'error');
        }
      });
      items.push(copyForm);
      const isDefault = current.base.is_default;
      const def = h('button', { type: 'button', id: 'profile-default', onclick: () => setDefault(name) },
        isDefault ? 'Is the default' : 'Set default');
      if (isDefault) def.disabled = true;
      items.push(def);
      items.push(h('button', { type: 'button', id: 'profile-delete', class: 'danger',
        onclick: () => deleteProfile(name) }, 'Delete'));
    }
    if (secrets) {
      items.push(h('button', { type: 'button', id: 'profile-ndef', onclick: () => downloadNdef(name) },
        'Download NDEF record'));
    }
    items.push(h('button', { type: 'button', id: 'profile-close', onclick: () => closePanel(true) }, 'Close'));
    return h('div', { class: 'profile-toolbar' }, items);
  }

  function qrSection(name, show) {
    const body = h('div', { class: 'profile-qr-body' });
    const btn = h('button', { type: 'button', id: 'profile-qr-show', 'aria-expanded': 'false' }, 'Show QR code');
    const section = h('section', { id: 'profile-qr-section', class: 'profile-qr', 'aria-labelledby': 'profile-qr-title' },
      h('h3', { id: 'profile-qr-title', tabindex: '-1' }, 'QR code for Android Enterprise setup'),
      h('p', {}, 'Tap the welcome screen of a factory-reset phone six times and scan this code. '
        + 'It carries the profile\'s secrets: show it only while staging phones.'),
      btn, body);
    btn.addEventListener('click', () => {
      if (btn.getAttribute('aria-expanded') === 'true') {
        revokeAll();
        clear(body);
        btn.textContent = 'Show QR code';
        btn.setAttribute('aria-expanded', 'false');
      } else {
        showQr(name, body, btn);
      }
    });
    if (show) showQr(name, body, btn);
    return section;
  }

  async function showQr(name, body, btn) {
    busy();
    btn.disabled = true;
    revokeAll();
    clear(body);
    try {
      const [blob, info] = await Promise.all([
        ctx.api.blob('/profiles/' + enc(name) + '/qr.png'),
        ctx.api.get('/profiles/' + enc(name) + '/qr'),
      ]);
      if (!alive || !current || current.name !== name || !body.isConnected) return;
      const url = URL.createObjectURL(blob);
      urls.add(url);
      const img = h('img', { id: 'profile-qr', alt: `QR code that enrolls a phone with the profile "${name}"` });
      img.addEventListener('load', () => {
        // Scaled by a whole factor to the largest size that fits the panel and the window's
        // height, never under 320 px: big enough to scan from the screen, crisp (pixelated).
        const n = img.naturalWidth || 320;
        const room = Math.max(320, Math.min(body.clientWidth - 40, window.innerHeight - 160));
        let k = Math.max(1, Math.ceil(n / room));
        while (k > 1 && n / k < 320) k -= 1;
        img.style.width = (n < 320 ? n * Math.ceil(320 / n) : n / k) + 'px';
      });
      img.src = url;
      const list = Array.isArray(info.secrets) ? info.secrets : [];
      body.append(
        h('figure', { class: 'profile-qr-figure' }, img, h('figcaption', {}, `Profile "${name}"`)),
        list.length
          ? h('p', { class: 'profile-qr-secrets', id: 'profile-qr-secrets' },
            'This code carries these secrets: ', h('strong', {}, list.join(', ')),
            '. Do not photograph or share it.')
          : h('p', { class: 'profile-qr-secrets', id: 'profile-qr-secrets' }, 'This code carries no secrets.'));
      btn.textContent = 'Hide QR code';
      btn.setAttribute('aria-expanded', 'true');
    } catch (e) {
      if (alive) body.append(h('p', { class: 'error-text', role: 'alert' }, 'No QR code: ' + errorText(e)));
    } finally {
      btn.disabled = false;
      done();
    }
  }

  loadList().then(() => {
    const wanted = ctx.params && ctx.params.get('profile');
    if (alive && wanted !== null && wanted !== undefined && profiles.some((p) => p.name === wanted)) {
      openProfile(wanted, { qr: ctx.params.get('qr') === '1' && secrets });
    } else if (alive && manage && ctx.params && ctx.params.get('new') === '1') {
      openProfile(null);
    }
  });
  return () => {
    alive = false;
    revokeAll();
    clear(panel);  // no revealed secret stays in the document
  };
}
