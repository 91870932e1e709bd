// The profile editor of the Profiles view: the form over a profile's JSON in sections
// (general, MDM agent and server, Wi-Fi with EAP, setup, custom data, EULAs, default),
// revealing the secrets to the roles that may read them, the refusal's messages beside
// each field, and the body it sends (POST for a new profile, PATCH with the changed fields).
import { h, clear, errorText } from '../lib/dom.js';

const HIDDEN = '(hidden)';

const SECURITY = [
  ['SECURITY_UNSPECIFIED', 'Not set (no Wi-Fi)'],
  ['SECURITY_NONE', 'Open (no password)'],
  ['SECURITY_WEP', 'WEP'],
  ['SECURITY_WPA', 'WPA/WPA2/WPA3 Personal'],
  ['SECURITY_EAP', 'WPA2/WPA3 Enterprise (EAP)'],
];
const EAP_METHODS = ['', 'PEAP', 'TLS', 'TTLS', 'PWD', 'SIM', 'AKA', 'AKA_PRIME'];
const PHASE2 = ['', 'NONE', 'PAP', 'MSCHAP', 'MSCHAPV2', 'GTC', 'SIM', 'AKA', 'AKA_PRIME'];

// The profile JSON's fields by kind, as the API's snake_case names, which its refusals use
// too ("wifi.password: ..."); a control's name is that path, its id fieldId(path).
const TOP_TEXT = ['name', 'description', 'company_name', 'support_email', 'support_phone', 'mdm_agent_apk_url',
  'admin_component_name', 'signature_checksum', 'server_url', 'enrollment_token', 'locale', 'time_zone'];
const TOP_BOOL = ['skip_setup_wizard', 'allow_user_cancel', 'leave_system_apps_enabled', 'skip_education_screens',
  'skip_encryption', 'use_mobile_data'];
const WIFI_TEXT = ['ssid', 'password', 'eap_method', 'phase2_auth', 'identity', 'anonymous_identity',
  'ca_certificate', 'user_certificate', 'domain'];
const EAP_FIELDS = ['eap_method', 'phase2_auth', 'identity', 'anonymous_identity', 'ca_certificate', 'user_certificate',
  'domain'];
const SECRETS = ['enrollment_token', 'wifi.password', 'wifi.user_certificate'];

const enc = (name) => encodeURIComponent(name);
const fieldId = (path) => 'profile-' + path.replace(/[^A-Za-z0-9_-]/g, '-');

// A profile as the API answers it, with every default filled in (answers leave defaults out).
export function normalize(p) {
  const out = {};
  for (const k of TOP_TEXT) out[k] = typeof p[k] === 'string' ? p[k] : '';
  for (const k of TOP_BOOL) out[k] = p[k] === true;
  out.token_validity_days = Number(p.token_validity_days || 0);
  out.custom_json = typeof p.custom_json === 'string' ? p.custom_json : '';
  out.eulas = Array.isArray(p.eulas) ? p.eulas.map((e) => ({ title: e.title || '', text: e.text || '' })) : [];
  const w = p.wifi || {};
  out.wifi = { security: w.security || 'SECURITY_UNSPECIFIED', hidden: w.hidden === true };
  for (const k of WIFI_TEXT) out.wifi[k] = typeof w[k] === 'string' ? w[k] : '';
  out.is_default = p.is_default === true;
  return out;
}

// The wifi object to send: defaults left out (the API replaces the stored wifi as a whole).
function compactWifi(w) {
  const out = {};
  for (const [k, v] of Object.entries(w)) {
    if (v === '' || v === false || v === 'SECURITY_UNSPECIFIED') continue;
    out[k] = v;
  }
  return out;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// custom_json as an object, or null when it is not one (then the JSON textarea shows it as it is).
function customObject(text) {
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

// Splits a refusal into {field: [messages]} and the lines no field of the form claims.
// The catalog writes "<source>: <field>: <message>" one per line (source "request body"
// for POST, "profile edit <name>" for PATCH); an upload-style problem lists them in errors[].
export function fieldErrors(err, profileName, known) {
  const lines = [];
  if (Array.isArray(err.errors) && err.errors.length) lines.push(...err.errors);
  else if (err.detail) lines.push(...String(err.detail).split('\n'));
  else lines.push(errorText(err));
  const prefixes = ['request body: ', 'profile edit ' + profileName + ': ', 'profile: '];
  const byField = {};
  const rest = [];
  for (const raw of lines) {
    let line = raw.trim();
    if (!line) continue;
    for (const p of prefixes) if (line.startsWith(p)) { line = line.slice(p.length); break; }
    const m = /^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z_][A-Za-z0-9_]*)*): (.+)$/.exec(line);
    let field = m ? m[1].replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()) : null;
    let text = m ? m[2] : line;
    if (!field && err.status === 409 && / exists already/.test(line)) field = 'name';
    if (field && !known(field)) {
      const top = field.replace(/\[.*$/, '').split('.')[0];
      if (known(top)) field = top;
      else { text = line; field = null; }
    }
    if (field) (byField[field] ||= []).push(text);
    else rest.push(text);
  }
  return { byField, rest };
}

// The form of the open profile (view.current: {name (null for a new one), base, revealed}),
// read-only unless the role may manage profiles. view: the Profiles view's ctx, manage,
// secrets, busy(), done(), closePanel(), loadList(), openProfile(), and getters current and
// alive (both change while the form is open).
export function editorForm(view) {
  const { ctx, manage, secrets, busy, done, closePanel, loadList, openProfile } = view;
  const base = view.current.base;
  const isNew = view.current.name === null;
  const readOnly = !manage;
  const inputs = {};  // path -> element
  const known = (f) => f in inputs || ['custom_json', 'eulas', 'wifi'].includes(f) || Boolean(eulas.input(f));

  const summary = h('div', { id: 'profile-errors', class: 'form-errors', tabindex: '-1' });
  summary.hidden = true;

  function hintId(path) { return fieldId(path) + '-hint'; }

  function field(path, label, control, hint) {
    control.id = fieldId(path);
    control.name = path;
    inputs[path] = control;
    if (hint) control.setAttribute('aria-describedby', hintId(path));
    return h('div', { class: 'field', 'data-field-wrap': path },
      h('label', { for: control.id }, label),
      control,
      hint ? h('p', { class: 'field-hint', id: hintId(path) }, hint) : null);
  }

  function text(path, label, value, hint, attrs = {}) {
    const el = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
    el.value = value;
    return field(path, label, el, hint);
  }

  function area(path, label, value, hint, rows = 3) {
    const el = h('textarea', { rows: String(rows), spellcheck: 'false' });
    el.value = value;
    return field(path, label, el, hint);
  }

  function check(path, label, value, hint) {
    const el = h('input', { type: 'checkbox' });
    el.checked = value;
    el.id = fieldId(path);
    el.name = path;
    inputs[path] = el;
    if (hint) el.setAttribute('aria-describedby', hintId(path));
    return h('div', { class: 'field field-check', 'data-field-wrap': path },
      el, h('label', { for: el.id }, label),
      hint ? h('p', { class: 'field-hint', id: hintId(path) }, hint) : null);
  }

  function select(path, label, options, value, hint) {
    const el = h('select', {}, options.map(([v, t]) => h('option', { value: v }, t)));
    el.value = value;
    return field(path, label, el, hint);
  }

  const secretHint = isNew ? 'A secret: only admins may read it back.'
    : `A secret. "${HIDDEN}" keeps the stored one; type a new value to replace it.`;
  const nameField = text('name', 'Name', base.name,
    isNew ? 'Required. Not any of \\ # / $ * % ^ & ( ) + ? { } [ ]'
      : 'A profile cannot be renamed: copy it under a new name instead.');
  if (!isNew) inputs.name.readOnly = true;

  // Wi-Fi, with the EAP fields only for SECURITY_EAP.
  const w = base.wifi;
  const eap = h('fieldset', { class: 'profile-eap' }, h('legend', {}, 'Enterprise (EAP)'),
    select('wifi.eap_method', 'EAP method', EAP_METHODS.map((m) => [m, m || 'Not set']), w.eap_method),
    select('wifi.phase2_auth', 'Phase 2 authentication', PHASE2.map((m) => [m, m || 'Not set']), w.phase2_auth),
    text('wifi.identity', 'Identity', w.identity, 'PEAP, TTLS and PWD need an identity and a password.'),
    text('wifi.anonymous_identity', 'Anonymous identity', w.anonymous_identity),
    text('wifi.domain', 'Server domain', w.domain, 'The RADIUS server certificate\'s domain suffix.'),
    area('wifi.ca_certificate', 'CA certificate (base64 DER)', w.ca_certificate, null, 3),
    area('wifi.user_certificate', 'Client certificate and key (base64 PKCS#12)', w.user_certificate,
      'TLS needs it. ' + secretHint, 3));
  const wifiFields = h('fieldset', { id: 'profile-section-wifi' }, h('legend', {}, 'Wi-Fi'),
    h('p', { class: 'field-hint' }, 'The network the phone joins to download the MDM agent.'),
    text('wifi.ssid', 'Network name (SSID)', w.ssid),
    select('wifi.security', 'Security', SECURITY, w.security),
    text('wifi.password', 'Password', w.password, secretHint),
    check('wifi.hidden', 'Hidden network', w.hidden),
    eap);
  const showEap = () => { eap.hidden = inputs['wifi.security'].value !== 'SECURITY_EAP'; };
  inputs['wifi.security'].addEventListener('change', showEap);
  showEap();

  // Custom data: key/value rows, or the JSON itself.
  const custom = customEditor(base.custom_json, readOnly);
  // EULAs: title and text rows.
  const eulas = eulaEditor(base.eulas, readOnly);

  const sections = [
    h('fieldset', { id: 'profile-section-general' }, h('legend', {}, 'General'),
      nameField,
      area('description', 'Description', base.description, null, 2),
      text('company_name', 'Company name', base.company_name, 'Required. Shown on the phone during setup.'),
      text('support_email', 'Support e-mail', base.support_email, null, { type: 'email' }),
      text('support_phone', 'Support phone', base.support_phone, null, { type: 'tel' })),
    h('fieldset', { id: 'profile-section-agent' }, h('legend', {}, 'MDM agent'),
      text('admin_component_name', 'Package / admin receiver', base.admin_component_name,
        'Required, as package/class: com.example.mdm/.AdminReceiver'),
      text('mdm_agent_apk_url', 'Download URL', base.mdm_agent_apk_url, 'Required, an https:// URL of the APK.',
        { type: 'url' }),
      text('signature_checksum', 'Signature checksum', base.signature_checksum,
        'Required: URL-safe base64 SHA-256 of the agent\'s signing certificate (43 characters).')),
    h('fieldset', { id: 'profile-section-server' }, h('legend', {}, 'MDM server'),
      text('server_url', 'Server URL', base.server_url, 'Required, an https:// URL.', { type: 'url' }),
      text('enrollment_token', 'Enrollment token', base.enrollment_token, secretHint),
      field('token_validity_days', 'Token validity (days)',
        (() => { const el = h('input', { type: 'number', min: '0', max: '999', step: '1', inputmode: 'numeric' });
          el.value = String(base.token_validity_days); return el; })(),
        '0 = never expires, else 7 to 999.')),
    wifiFields,
    h('fieldset', { id: 'profile-section-setup' }, h('legend', {}, 'Setup'),
      text('locale', 'Locale', base.locale, 'For example en_US.'),
      text('time_zone', 'Time zone', base.time_zone, 'For example America/New_York.'),
      check('skip_setup_wizard', 'Skip the setup wizard', base.skip_setup_wizard),
      check('skip_education_screens', 'Skip the education screens', base.skip_education_screens),
      check('skip_encryption', 'Skip encryption', base.skip_encryption),
      check('use_mobile_data', 'Use mobile data', base.use_mobile_data),
      check('allow_user_cancel', 'Allow the user to cancel', base.allow_user_cancel),
      check('leave_system_apps_enabled', 'Leave system apps enabled', base.leave_system_apps_enabled)),
    custom.fieldset,
    eulas.fieldset,
  ];
  if (isNew) sections.push(h('fieldset', { id: 'profile-section-default' }, h('legend', {}, 'Default'),
    check('is_default', 'Make it the default profile', false,
      'The default profile goes to every approved device without a profile of its own.')));

  const reveal = !isNew && secrets
    ? h('button', { type: 'button', id: 'profile-reveal' }, 'Reveal secrets') : null;
  if (reveal) reveal.addEventListener('click', () => toggleSecrets(reveal));

  const nav = h('nav', { class: 'profile-steps', 'aria-label': 'Profile sections' },
    h('ol', {}, sections.map((s) => h('li', {}, h('button', { type: 'button', class: 'link',
      onclick: () => {
        s.scrollIntoView({ block: 'start' });
        const f = [...s.querySelectorAll('input, select, textarea, button')]
          .find((c) => !c.disabled && c.getClientRects().length > 0);
        if (f) f.focus({ preventScroll: true });
      } },
    s.querySelector('legend').textContent)))));

  const save = manage ? h('button', { type: 'submit', id: 'profile-save', class: 'primary' },
    isNew ? 'Add profile' : 'Save changes') : null;
  const form = h('form', { id: 'profile-editor', class: 'profile-editor', 'aria-labelledby': 'profile-panel-title' },
  summary,
  h('div', { class: 'profile-editor-top' }, nav, reveal),
  h('div', { class: 'profile-sections' }, sections),
  manage ? h('div', { class: 'form-actions' }, save,
    h('button', { type: 'button', id: 'profile-cancel', onclick: () => closePanel(true) }, 'Cancel')) : null);
  form.noValidate = true;  // the server's messages, beside each field, are the ones that count
  // Read-only (desk-operator, viewer): text stays focusable and selectable (readOnly); only
  // what has no read-only state (selects, checkboxes) is disabled; no add or remove buttons.
  if (readOnly) {
    for (const el of form.querySelectorAll('input, textarea, select')) {
      if (el.tagName === 'SELECT' || el.type === 'checkbox' || el.type === 'radio') el.disabled = true;
      else el.readOnly = true;
    }
  }

  for (const p of ['name', 'company_name', 'admin_component_name', 'mdm_agent_apk_url', 'signature_checksum',
    'server_url']) inputs[p].setAttribute('aria-required', 'true');
  for (const p of SECRETS) inputs[p].classList.add('secret');

  async function toggleSecrets(btn) {
    if (view.current.revealed) {
      for (const p of SECRETS) {
        const el = inputs[p];
        if (el.value === valueAt(view.current.base, p)) { el.value = valueAt(view.current.hiddenBase, p); }
      }
      view.current.base = view.current.hiddenBase;
      view.current.revealed = false;
      btn.textContent = 'Reveal secrets';
      return;
    }
    busy();
    try {
      const full = normalize(await ctx.api.get('/profiles/' + enc(view.current.name), { reveal_secrets: true }));
      if (!view.alive || !view.current) return;
      view.current.hiddenBase = view.current.base;
      const nb = structuredClone(view.current.base);
      for (const p of SECRETS) {
        const el = inputs[p];
        const v = valueAt(full, p);
        if (el.value === valueAt(view.current.base, p)) el.value = v;  // not edited yet
        setAt(nb, p, v);
      }
      view.current.base = nb;
      view.current.revealed = true;
      btn.textContent = 'Hide secrets';
    } catch (e) {
      ctx.notify('Could not read the secrets: ' + errorText(e), 'error');
    } finally {
      done();
    }
  }

  function clearErrors() {
    for (const el of form.querySelectorAll('.field-error')) el.remove();
    for (const el of form.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((i) => i && !i.endsWith('-error'));
      if (ids.length) el.setAttribute('aria-describedby', ids.join(' ')); else el.removeAttribute('aria-describedby');
    }
    clear(summary);
    summary.hidden = true;
  }

  function showFieldError(path, messages) {
    let el = inputs[path];
    let anchor = el ? el.closest('.field') : null;
    if (!el && path === 'custom_json') { el = custom.focusable(); anchor = custom.errorAnchor; }
    if (!el && path === 'eulas') { el = eulas.focusable(); anchor = eulas.errorAnchor; }
    if (!el && eulas.input(path)) { el = eulas.input(path); anchor = el.closest('.field'); }
    if (!el && path === 'wifi') { el = inputs['wifi.ssid']; anchor = el.closest('.field'); }
    if (!anchor) return null;
    const id = fieldId(path) + '-error';
    // "is 3; must be ..." reads as a sentence after the field's label.
    const label = el && el.id ? form.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
    const text = messages.map((m) => (label && /^[a-z]/.test(m) ? `${label.textContent}: ${m}` : m)).join(' ');
    const msg = h('p', { class: 'field-error', id, 'data-field': path }, text);
    anchor.append(msg);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      if (!ids.includes(id)) ids.push(id);
      el.setAttribute('aria-describedby', ids.join(' '));
    }
    return { el, text };
  }

  // Each message beside its field; the summary at the top lists them (a button to each field)
  // and every line no field claims.
  function showErrors(byField, rest) {
    const shown = [];
    for (const [path, messages] of Object.entries(byField)) {
      const one = showFieldError(path, messages);
      if (one) shown.push(one);
      else rest.push(...messages.map((m) => `${path}: ${m}`));
    }
    if (!shown.length && !rest.length) return;
    summary.hidden = false;
    const n = shown.length;
    summary.append(
      h('p', { class: 'form-errors-title' }, isNew ? 'The profile was not added.' : 'The changes were not saved.',
        n ? ` ${n === 1 ? 'One field needs' : n + ' fields need'} attention:` : ''),
      h('ul', {},
        shown.map(({ el, text }) => h('li', {}, el
          ? h('button', { type: 'button', class: 'link', onclick: () => {
            el.scrollIntoView({ block: 'center' });
            el.focus({ preventScroll: true });
          } }, text)
          : text)),
        rest.map((r) => h('li', {}, r))));
    // One field: straight to it; more: the summary, whose buttons lead to each (as GOV.UK's error summary).
    if (n === 1 && !rest.length && shown[0].el) {
      shown[0].el.scrollIntoView({ block: 'center' });
      shown[0].el.focus({ preventScroll: true });
    } else {
      summary.scrollIntoView({ block: 'start' });
      summary.focus({ preventScroll: true });
    }
  }

  // The form as a profile object.
  function read() {
    const p = {};
    for (const k of TOP_TEXT) p[k] = inputs[k].value;
    p.name = p.name.trim();
    for (const k of TOP_BOOL) p[k] = inputs[k].checked;
    const days = inputs.token_validity_days.value.trim();
    p.token_validity_days = days === '' ? 0 : Number(days);
    p.wifi = { security: inputs['wifi.security'].value, hidden: inputs['wifi.hidden'].checked };
    for (const k of WIFI_TEXT) p.wifi[k] = inputs['wifi.' + k].value;
    // Fields the chosen security does not use are left out (the catalog refuses EAP fields
    // with another security type); the form keeps them in case the admin switches back.
    if (p.wifi.security !== 'SECURITY_EAP') {
      for (const k of EAP_FIELDS) p.wifi[k] = '';
    }
    if (p.wifi.security === 'SECURITY_NONE') p.wifi.password = '';
    return p;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!manage) return;
    clearErrors();
    const p = read();
    const local = {};
    if (!Number.isInteger(p.token_validity_days) || p.token_validity_days < 0) {
      local.token_validity_days = ['must be a whole number of days (0 = never expires)'];
    }
    const cj = custom.value();
    if (cj.error) local.custom_json = [cj.error];
    else p.custom_json = cj.text;
    p.eulas = eulas.value();
    if (Object.keys(local).length) { showErrors(local, []); return; }

    let body;
    if (isNew) {
      body = {};
      for (const [k, v] of Object.entries(p)) {
        if (k === 'wifi') { const cw = compactWifi(v); if (Object.keys(cw).length) body.wifi = cw; continue; }
        if (v === '' || v === false || v === 0 || (Array.isArray(v) && !v.length)) continue;
        body[k] = v;
      }
      if (inputs.is_default && inputs.is_default.checked) body.is_default = true;
    } else {
      body = {};
      const b = view.current.base;
      for (const k of [...TOP_TEXT, ...TOP_BOOL, 'token_validity_days', 'eulas']) {
        if (k !== 'name' && !same(p[k], b[k])) body[k] = p[k];
      }
      if (!same(customObject(p.custom_json), customObject(b.custom_json))
        || (customObject(b.custom_json) === null && p.custom_json !== b.custom_json)) body.custom_json = p.custom_json;
      if (!same(p.wifi, b.wifi)) body.wifi = compactWifi(p.wifi);
      if (!Object.keys(body).length) { ctx.notify('Nothing changed', 'info'); return; }
    }
    save.disabled = true;
    busy();
    try {
      if (isNew) await ctx.api.post('/profiles', body);
      else await ctx.api.patch('/profiles/' + enc(view.current.name), body);
      if (!view.alive) return;
      const name = isNew ? body.name : view.current.name;
      ctx.notify(isNew ? `Profile "${name}" added` : `Profile "${name}" saved`, 'success');
      await loadList();
      await openProfile(name);
    } catch (e) {
      if (!view.alive) return;
      if (e && e.status === 401) return;  // the shell signs out
      const { byField, rest } = fieldErrors(e, view.current.name || '', known);
      showErrors(byField, rest);
    } finally {
      if (save.isConnected) save.disabled = false;
      done();
    }
  });

  return form;
}

function valueAt(p, path) {
  const [a, b] = path.split('.');
  return b ? p[a][b] : p[a];
}

function setAt(p, path, v) {
  const [a, b] = path.split('.');
  if (b) p[a][b] = v; else p[a] = v;
}

// custom_json: rows of key and value, or the JSON text; value() -> {text} or {error}.
function customEditor(initial, readOnly = false) {
  const obj = customObject(initial);
  const flat = obj !== null && Object.values(obj).every((v) => typeof v === 'string');
  let jsonMode = !flat;
  const rows = h('div', { class: 'kv-rows' });
  const textarea = h('textarea', { id: 'profile-custom_json', name: 'custom_json', rows: '5', spellcheck: 'false',
    'aria-describedby': 'profile-custom_json-hint', readOnly });
  textarea.value = jsonMode ? initial : '';
  const rowsLabel = h('p', { class: 'field-hint', id: 'profile-custom-rows-hint' },
    'Values the MDM agent receives (PROVISIONING_ADMIN_EXTRAS_BUNDLE). Every value is text.');
  const add = h('button', { type: 'button', id: 'profile-custom-add', hidden: readOnly }, 'Add a value');
  const toggle = h('button', { type: 'button', id: 'profile-custom-mode' });
  const rowsBox = h('div', { class: 'kv-editor' }, rowsLabel, rows, add);
  const jsonBox = h('div', { class: 'field', 'data-field-wrap': 'custom_json' },
    h('label', { for: 'profile-custom_json' }, 'Custom data (JSON object)'),
    textarea,
    h('p', { class: 'field-hint', id: 'profile-custom_json-hint' }, 'A JSON object whose every value is a string, '
      + 'for example {"site": "berlin-1"}.'));
  const errorAnchor = h('div', { class: 'kv-errors' });
  let count = 0;

  function addRow(k = '', v = '') {
    count += 1;
    const n = count;
    const key = h('input', { type: 'text', class: 'kv-key', 'aria-label': `Key ${n}`, autocomplete: 'off',
      spellcheck: 'false' });
    const val = h('input', { type: 'text', class: 'kv-value', 'aria-label': `Value ${n}`, autocomplete: 'off',
      spellcheck: 'false' });
    key.value = k;
    val.value = v;
    key.readOnly = readOnly;
    val.readOnly = readOnly;
    const row = h('div', { class: 'kv-row' }, key, val,
      readOnly ? null : h('button', { type: 'button', class: 'kv-remove', 'aria-label': `Remove value ${n}`,
        onclick: () => { row.remove(); add.focus(); } }, 'Remove'));
    rows.append(row);
    return key;
  }

  function rowsObject() {
    const out = {};
    for (const row of rows.querySelectorAll('.kv-row')) {
      const k = row.querySelector('.kv-key').value.trim();
      const v = row.querySelector('.kv-value').value;
      if (!k && !v) continue;
      if (!k) return { error: `a value ("${v.slice(0, 20)}") has no key` };
      if (k in out) return { error: `the key "${k}" is there twice` };
      out[k] = v;
    }
    return { obj: out };
  }

  function render() {
    rowsBox.hidden = jsonMode;
    jsonBox.hidden = !jsonMode;
    const verb = readOnly ? 'Show' : 'Edit';
    toggle.textContent = jsonMode ? `${verb} as key and value rows` : `${verb} as JSON`;
  }

  toggle.addEventListener('click', () => {
    for (const el of errorAnchor.querySelectorAll('.field-error')) el.remove();
    if (jsonMode) {
      const text = textarea.value.trim();
      let o;
      try { o = text ? JSON.parse(text) : {}; } catch (e) {
        errorAnchor.append(h('p', { class: 'field-error', 'data-field': 'custom_json', id: 'profile-custom_json-error' },
          'Not valid JSON: ' + e.message));
        return;
      }
      if (!o || typeof o !== 'object' || Array.isArray(o) || !Object.values(o).every((v) => typeof v === 'string')) {
        errorAnchor.append(h('p', { class: 'field-error', 'data-field': 'custom_json', id: 'profile-custom_json-error' },
          'Only an object whose every value is a string can be edited as rows.'));
        return;
      }
      clear(rows);
      for (const [k, v] of Object.entries(o)) addRow(k, v);
      jsonMode = false;
    } else {
      const r = rowsObject();
      textarea.value = r.error ? '' : (Object.keys(r.obj).length ? JSON.stringify(r.obj, null, 2) : '');
      jsonMode = true;
    }
    render();
    (jsonMode ? textarea : (rows.querySelector('input') || (readOnly ? toggle : add))).focus();
  });
  add.addEventListener('click', () => addRow().focus());
  if (!jsonMode) for (const [k, v] of Object.entries(obj)) addRow(k, v);
  render();

  const fieldset = h('fieldset', { id: 'profile-section-custom', class: 'profile-custom' },
    h('legend', {}, 'Custom data'), toggle, rowsBox, jsonBox, errorAnchor);
  return {
    fieldset,
    errorAnchor,
    focusable: () => (jsonMode ? textarea : rows.querySelector('input') || (readOnly ? toggle : add)),
    value() {
      if (jsonMode) {
        const text = textarea.value.trim();
        if (!text) return { text: '' };
        try { JSON.parse(text); } catch (e) { return { error: 'is not valid JSON: ' + e.message }; }
        return { text: JSON.stringify(JSON.parse(text)) };
      }
      const r = rowsObject();
      if (r.error) return { error: r.error };
      return { text: Object.keys(r.obj).length ? JSON.stringify(r.obj) : '' };
    },
  };
}

// EULAs: a title and a text each.
function eulaEditor(initial, readOnly = false) {
  const list = h('div', { class: 'eula-rows' });
  const add = h('button', { type: 'button', id: 'profile-eula-add', hidden: readOnly }, 'Add a EULA');
  const errorAnchor = h('div', { class: 'eula-errors' });
  let count = 0;
  function addRow(e = { title: '', text: '' }) {
    count += 1;
    const n = count;
    const title = h('input', { type: 'text', class: 'eula-title', id: `profile-eula-title-${n}` });
    const text = h('textarea', { class: 'eula-text', rows: '3', id: `profile-eula-text-${n}` });
    title.value = e.title;
    text.value = e.text;
    title.readOnly = readOnly;
    text.readOnly = readOnly;
    const row = h('div', { class: 'eula-row' },
      h('div', { class: 'field' }, h('label', { for: title.id }, `EULA ${n} title`), title),
      h('div', { class: 'field' }, h('label', { for: text.id }, `EULA ${n} text`), text),
      readOnly ? null : h('button', { type: 'button', 'aria-label': `Remove EULA ${n}`,
        onclick: () => { row.remove(); add.focus(); } }, 'Remove'));
    list.append(row);
    return title;
  }
  for (const e of initial) addRow(e);
  add.addEventListener('click', () => addRow().focus());
  return {
    fieldset: h('fieldset', { id: 'profile-section-eulas' }, h('legend', {}, 'EULAs'),
      h('p', { class: 'field-hint' }, 'Terms the user accepts during setup, each with a title and a text.'),
      list, add, errorAnchor),
    errorAnchor,
    focusable: () => list.querySelector('input') || add,
    // The control of a refusal's "eulas[1].text": the row as sent (value() leaves out empty rows).
    input(path) {
      const m = /^eulas\[(\d+)\]\.(title|text)$/.exec(path);
      if (!m) return null;
      const rows = [...list.querySelectorAll('.eula-row')].filter((r) =>
        r.querySelector('.eula-title').value || r.querySelector('.eula-text').value);
      const row = rows[Number(m[1])];
      return row ? row.querySelector(m[2] === 'title' ? '.eula-title' : '.eula-text') : null;
    },
    value: () => [...list.querySelectorAll('.eula-row')].map((r) => ({
      title: r.querySelector('.eula-title').value, text: r.querySelector('.eula-text').value,
    })).filter((e) => e.title || e.text),
  };
}
