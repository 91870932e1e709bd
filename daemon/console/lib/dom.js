// DOM helpers for the console. Everything a device, reseller or admin wrote
// reaches the page as text (textContent, attribute values), never as HTML:
// nothing here parses markup, so no data can run as script.
//
//   h(tag, attrs, ...children)   an Element. attrs:
//       class: 'a b' or ['a', cond && 'b']      style: {prop: value} (CSSOM, allowed by the CSP)
//       dataset: {key: value}                    on<event>: fn (onclick, oninput, onsubmit, ...); anything but
//                                                a function there throws (no inline handler attribute)
//       value / checked / selected / disabled / hidden / open: set as properties
//       'aria-*', 'data-*', for, id, type, name, ...: attributes (true -> "", false/null/undefined -> left out)
//     children: strings and numbers (text nodes), Nodes, arrays (flattened), null/undefined/false (skipped).
//   clear(el)                    removes every child.
//   formatTime(msOrIso)          "2026-12-07 14:03:05" in local time ("" for nothing, the input if unreadable).
//   formatAge(seconds)           "45 s", "3 min", "2 h 5 min", "3 d 4 h".
//   confirmDialog(title, text, okLabel, {danger}) -> Promise<boolean>: a modal <dialog>; Escape or Cancel: false,
//       and false too when closeDialogs() closed it (the view was left, the tab signed out).
//   closeDialogs()               closes every open <dialog> (the shell, when a view is left or the tab signs out).
//   downloadBlob(blob, filename) saves a Blob through a temporary object URL.
//   errorText(err)               one readable line from an ApiError (lib/api.js) or any Error.
//   badge(text, kind)            <span class="badge badge-KIND">; kind defaults to stateKind(text).
//   stateKind(text)              'ok' | 'warn' | 'error' | 'info' | 'neutral' for a state or outcome name.
//   table({id, caption, columns, rows, rowAttrs, empty})
//       A <table> with a header row. columns: [{label, key, render(row) -> child, class}] (render wins
//       over key; class goes on the column's th and td). rowAttrs(row) -> attrs of the row's <tr>
//       (e.g. {dataset: {device: row.key}}). caption: text, visually hidden unless given as {text, visible: true}.
//       empty: text of a single full-width row when rows is empty. Wrap it in h('div', {class: 'table-wrap'}, ...)
//       for a scrolling box with a sticky header.
//   tableWrap(label, tableEl)  the .table-wrap scroll box around a table: a focusable, labelled region
//       (tabindex=0, role=region), so keyboard users can scroll it (axe scrollable-region-focusable).
//   listen(el, type, fn) -> el   el.addEventListener(type, fn), for building elements in one expression.
//   labelled(id, text, control, hint)  a .field: the <label for=id>, the control and an optional hint (no error line).
//   plural(n, one, many)         "1 device", "2,500 devices".
//   todayMs()                    the start of today in local time, unix ms ("today's" counts, "failed today").
//   field({id, label, control, hint, error, errorFor})
//       A .field: <label for=id> above the control (an Element whose id is id), an optional hint (linked with
//       aria-describedby) and a .field-error[data-field=errorFor] below (empty until setFieldError fills it).
//   setFieldError(container, fieldName, text)   fills (or empties, text '') the .field-error[data-field] in container.

const BOOLEAN_PROPS = new Set(['checked', 'selected', 'disabled', 'hidden', 'open', 'multiple', 'required', 'readOnly', 'indeterminate']);

const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);

// A URL without a scheme (relative), or with one that cannot run script.
function safeUrl(url) {
  const scheme = /^\s*([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url.replace(/[\u0000-\u001f]/g, ''));
  return !scheme || ['http', 'https', 'mailto', 'tel', 'blob', 'data'].includes(scheme[1].toLowerCase());
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  let value;
  let hasValue = false;
  for (const [key, v] of Object.entries(attrs || {})) {
    if (key === 'class' || key === 'className') {
      const names = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      if (names) el.className = names;
    } else if (key === 'style' && v && typeof v === 'object') {
      for (const [prop, val] of Object.entries(v)) {
        if (prop.startsWith('--')) el.style.setProperty(prop, val);
        else el.style[prop] = val;
      }
    } else if (key === 'dataset' && v && typeof v === 'object') {
      for (const [k, val] of Object.entries(v)) if (val !== undefined && val !== null) el.dataset[k] = String(val);
    } else if (/^on/i.test(key)) {
      // A string here would become an inline handler attribute: script from
      // text. Only a function is a handler; undefined/null/false leave it out.
      if (typeof v === 'function') el.addEventListener(key.slice(2).toLowerCase(), v);
      else if (v !== undefined && v !== null && v !== false) throw new Error(`h(): ${key} must be a function`);
    } else if (key === 'value') {
      value = v;  // after the children: a <select>'s value needs its options
      hasValue = v !== undefined && v !== null;
    } else if (BOOLEAN_PROPS.has(key)) {
      el[key] = Boolean(v);
    } else if (key === 'style' || key === 'innerHTML' || key === 'outerHTML') {
      throw new Error(`h(): ${key} is not allowed (CSP / no HTML from data)`);
    } else if (URL_ATTRS.has(key) && typeof v === 'string' && !safeUrl(v)) {
      // A URL from data that would run script (javascript:) is left out; the CSP would block it too.
      continue;
    } else if (v === true) {
      el.setAttribute(key, '');
    } else if (v !== false && v !== null && v !== undefined) {
      el.setAttribute(key, String(v));
    }
  }
  append(el, children);
  if (hasValue) el.value = String(value);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

const pad = (n) => String(n).padStart(2, '0');

export function formatTime(when) {
  if (when === undefined || when === null || when === '' || when === 0 || when === '0') return '';
  let date;
  if (when instanceof Date) date = when;
  else if (typeof when === 'number') date = new Date(when);
  else if (/^\d+$/.test(String(when))) date = new Date(Number(when));
  else date = new Date(String(when));
  if (Number.isNaN(date.getTime())) return String(when);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
         `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function formatAge(seconds) {
  let s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}

let dialogCount = 0;

export function confirmDialog(title, text, okLabel = 'OK', { danger = false, cancelLabel = 'Cancel' } = {}) {
  return new Promise((resolve) => {
    const n = ++dialogCount;
    const titleId = `confirm-title-${n}`;
    const textId = `confirm-text-${n}`;
    const opener = document.activeElement;
    const ok = h('button', { type: 'button', class: danger ? 'danger' : 'primary', 'data-action': 'dialog-ok' }, okLabel);
    const cancel = h('button', { type: 'button', class: 'secondary', 'data-action': 'dialog-cancel' }, cancelLabel);
    const dialog = h('dialog', { class: 'confirm-dialog', 'aria-labelledby': titleId, 'aria-describedby': textId },
      h('h2', { id: titleId }, title),
      h('p', { id: textId }, text),
      h('div', { class: 'dialog-buttons' }, cancel, ok));
    ok.addEventListener('click', () => dialog.close('ok'));
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      const answer = dialog.returnValue === 'ok';
      const byShell = dialog.dataset.closedBy === 'shell';
      dialog.remove();
      // Closed by the shell: the page has moved on, the focus is its business.
      if (!byShell && opener && typeof opener.focus === 'function' && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();  // the safe choice first: Enter does not confirm by accident
  });
}

export function closeDialogs() {
  for (const dialog of document.querySelectorAll('dialog[open]')) {
    dialog.dataset.closedBy = 'shell';
    dialog.returnValue = '';  // not "ok": a confirmation answers false
    dialog.close();
  }
}

export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function errorText(err) {
  if (err === null || err === undefined) return 'Unknown error';
  if (typeof err === 'string') return err;
  if (err.name === 'AbortError') return 'Cancelled';
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) return `Cannot reach kdad (${err.message})`;
  let line = err.message || err.detail || err.title || String(err);
  if (Array.isArray(err.errors) && err.errors.length) {
    const first = err.errors[0];
    const firstText = typeof first === 'string' ? first : (first && (first.detail || first.message || first.error)) || '';
    line += err.errors.length === 1 ? `: ${firstText}` : ` (${err.errors.length} errors; first: ${firstText})`;
  }
  return line.replace(/\s+/g, ' ').trim();
}

export function stateKind(text) {
  const s = String(text || '').toLowerCase();
  if (!s) return 'neutral';
  if (/(fail|reject|refus|error|revok|expired|denied|down|abort|timeout|timed out|mismatch|delete)/.test(s)) return 'error';
  if (/(waiting|pending|await|unassigned|needs|delink|suspend|warning)/.test(s)) return 'warn';
  if (/(provisioned|approved|succeeded|success|active|confirmed|complete|done|live|\bup\b|\bok\b|enrolled|assigned|linked)/.test(s)) return 'ok';
  if (/(progress|running|connect|enrolling|started|new|handshake|transfer)/.test(s)) return 'info';
  return 'neutral';
}

export function badge(text, kind) {
  return h('span', { class: ['badge', `badge-${kind || stateKind(text)}`] }, text);
}

export function table({ id, caption, columns, rows, rowAttrs, empty, class: cls } = {}) {
  const captionText = caption && typeof caption === 'object' ? caption.text : caption;
  const captionVisible = caption && typeof caption === 'object' && caption.visible;
  const body = h('tbody', {});
  for (const row of rows || []) {
    body.append(h('tr', rowAttrs ? rowAttrs(row) : {},
      columns.map((c) => h('td', { class: c.class }, c.render ? c.render(row) : cellText(row[c.key])))));
  }
  if ((!rows || rows.length === 0) && empty) {
    body.append(h('tr', { class: 'empty-row' }, h('td', { colspan: columns.length }, empty)));
  }
  return h('table', { id, class: cls },
    captionText ? h('caption', { class: captionVisible ? null : 'visually-hidden' }, captionText) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    body);
}

export function tableWrap(label, tableEl) {
  return h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': label }, tableEl);
}

function cellText(v) {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

let fieldCount = 0;

export function field({ id, label, control, hint, error = '', errorFor } = {}) {
  const controlId = id || control.id || `field-${++fieldCount}`;
  control.id = controlId;
  const hintId = hint ? `${controlId}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  const err = h('p', { class: 'field-error', 'data-field': errorFor || control.name || controlId, id: `${controlId}-error` }, error);
  return h('div', { class: 'field' },
    h('label', { for: controlId }, label),
    control,
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null,
    err);
}

export function setFieldError(container, fieldName, text) {
  const el = container.querySelector(`.field-error[data-field="${CSS.escape(fieldName)}"]`);
  if (!el) return false;
  el.textContent = text || '';
  const control = el.parentElement && el.parentElement.querySelector('input, select, textarea');
  if (control) {
    if (text) {
      control.setAttribute('aria-invalid', 'true');
      const ids = new Set((control.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean));
      ids.add(el.id);
      control.setAttribute('aria-describedby', [...ids].join(' '));
    } else {
      control.removeAttribute('aria-invalid');
    }
  }
  return true;
}

export function listen(el, type, fn) {
  el.addEventListener(type, fn);
  return el;
}

export function labelled(id, text, control, hint) {
  return h('div', { class: 'field' }, h('label', { for: id }, text), control,
    hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null);
}

export function plural(n, one, many) {
  return `${Number(n).toLocaleString('en')} ${n === 1 ? one : many}`;
}

export function todayMs(now = new Date()) {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
}
