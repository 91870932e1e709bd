// CSV import panel of the devices view: a file or pasted text, a dry run
// (Preview) that shows what would change or every error by line and column,
// then Import sending the same text for real; a 202 answer is an operation
// polled until it ends. devices.js mounts it with mountImport.
import { h, clear, errorText, listen, labelled, plural } from '../lib/dom.js';

// A dry run lists every device it would change; beyond this many the preview
// shows a count instead of the rest.
const MAX_CHANGES_SHOWN = 500;
// A file larger than this is kept aside instead of being copied into the textarea.
const MAX_TEXTAREA_BYTES = 1 << 20;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// "request body: line 7, column imei: check digit wrong" -> its parts.
export function parseImportError(text) {
  const line = String(text).replace(/^request body: /, '');
  const m = /^line (\d+)(?:, column ([^:]+))?: (.*)$/s.exec(line);
  if (!m) return { text: line, line: null, column: null, message: line };
  return { text: line, line: Number(m[1]), column: m[2] || null, message: m[3] };
}

// CSV import: a dry run shows what would change (or every error by line and
// column); only then does Import send the same text for real.
export function mountImport(root, ctx, isGone, reload) {
  const { api } = ctx;
  const isReseller = ctx.caller && ctx.caller.role === 'reseller';
  let bigText = null;  // a large file's text, kept out of the textarea
  let previewed = null;  // the request the last successful dry run answered
  let busy = false;

  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,.txt,text/csv,text/plain' });
  const text = h('textarea', { id: 'import-text', rows: '6', spellcheck: 'false',
    'aria-describedby': 'import-text-hint' });
  const replace = h('input', { id: 'import-replace', type: 'checkbox' });
  const ignore = h('input', { id: 'import-ignore', type: 'checkbox' });
  const source = h('input', { id: 'import-source', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const preview = h('button', { id: 'import-preview', type: 'button', class: 'primary' }, 'Preview');
  const commit = h('button', { id: 'import-commit', type: 'button', class: 'primary' }, 'Import');
  const fileNote = h('p', { class: 'field-hint', id: 'import-file-note' });
  const result = h('div', { id: 'import-result', class: 'import-result', role: 'region', 'aria-live': 'polite',
    'aria-label': 'Import result' });
  commit.disabled = true;

  const check = (box, id, label) => h('div', { class: 'field checkbox' }, box, h('label', { for: id }, label));
  root.append(h('section', { class: 'devices-import', 'aria-labelledby': 'import-heading' },
    h('h2', { id: 'import-heading' }, 'Import devices (CSV)'),
    h('p', {}, 'Columns: imei, imei2, meid, serial, wifi_mac, user_id, password, profile, tags. ',
      'Preview shows what would change; nothing is written until Import.'),
    h('div', { class: 'import-inputs' },
      labelled('import-file', 'CSV file', file),
      fileNote,
      labelled('import-text', 'Or paste CSV', text, 'The first line names the columns.')),
    h('fieldset', { class: 'import-options' }, h('legend', {}, 'Options'),
      isReseller ? null : check(replace, 'import-replace', 'Replace whole records (columns the file lacks are cleared)'),
      check(ignore, 'import-ignore', 'Ignore unknown columns'),
      isReseller ? null : labelled('import-source', 'Source (reseller id, optional)', source)),
    h('div', { class: 'import-buttons' }, preview, commit),
    result));

  const currentText = () => (bigText !== null ? bigText : text.value);
  const request = () => {
    const params = {};
    if (!isReseller && replace.checked) params.replace = true;
    if (ignore.checked) params.ignore_unknown_columns = true;
    if (!isReseller && source.value.trim()) params.source = source.value.trim();
    return { text: currentText(), params };
  };
  const sameRequest = (a, b) => a && b && a.text === b.text && JSON.stringify(a.params) === JSON.stringify(b.params);
  const invalidate = () => {
    if (previewed && !sameRequest(previewed, request())) {
      previewed = null;
      commit.disabled = true;
    }
  };
  for (const el of [text, replace, ignore, source]) listen(el, 'input', invalidate);
  for (const el of [replace, ignore]) listen(el, 'change', invalidate);

  listen(file, 'change', async () => {
    const f = file.files && file.files[0];
    bigText = null;
    fileNote.textContent = '';
    text.disabled = false;
    if (f) {
      const content = await f.text();
      if (f.size > MAX_TEXTAREA_BYTES) {
        bigText = content;
        text.value = '';
        text.disabled = true;
        fileNote.textContent = `${f.name}: ${Math.round(f.size / 1024)} KiB, ${countRows(content)} rows (too large to show).`;
      } else {
        text.value = content;
      }
    }
    invalidate();
  });

  const setBusy = (on, line) => {
    busy = on;
    preview.disabled = on;
    if (on) commit.disabled = true;
    root.dataset.ready = on ? 'false' : 'true';
    result.dataset.state = on ? 'busy' : 'done';
    if (on) {
      clear(result);
      result.append(h('p', { class: 'import-progress' }, line));
    }
  };

  // POST /devices; a 202 is an operation, polled every second until it ends.
  async function upload(req, dryRun) {
    const params = { ...req.params };
    if (dryRun) params.dry_run = true;
    const answer = await api.upload('/devices', req.text, params);
    if (!(answer && answer.kind === 'devices_import' && answer.id)) return answer;
    let op = answer;
    const started = Date.now();
    while (op.state === 'running') {
      if (isGone()) return null;
      clear(result);
      result.append(h('p', { class: 'import-progress' },
        `${dryRun ? 'Checking' : 'Importing'} ${plural(op.rows || 0, 'row', 'rows')}: running for ${Math.round((Date.now() - started) / 1000)} s (operation ${op.id})`));
      await sleep(1000);
      if (isGone()) return null;
      op = await api.get(`/operations/${encodeURIComponent(op.id)}`);
    }
    if (op.state === 'failed') {
      const p = op.problem || {};
      const err = new Error(p.detail || p.title || 'the import failed');
      Object.assign(err, { status: p.status, code: p.code, title: p.title, detail: p.detail, errors: p.errors,
        error_total: p.error_total });
      throw err;
    }
    return op.result || {};
  }

  function showErrors(err) {
    clear(result);
    const errors = Array.isArray(err.errors) ? err.errors : [];
    result.append(h('h3', {}, 'Refused: nothing changed'),
      h('p', { class: 'error-text' }, String(err.message || errorText(err)).replace(/^request body: /, '')));
    if (errors.length) {
      result.append(h('ul', { class: 'import-errors' }, errors.map((e) => {
        const p = parseImportError(e);
        const li = h('li', { class: 'import-error' },
          p.line !== null ? h('span', { class: 'import-where' },
            `line ${p.line}${p.column ? `, column ${p.column}` : ''}: `) : null,
          p.message);
        if (p.line !== null) li.dataset.line = String(p.line);
        if (p.column) li.dataset.column = p.column;
        return li;
      })));
      const total = err.error_total || errors.length;
      if (total > errors.length) result.append(h('p', {}, `${total} errors in all, the first ${errors.length} listed.`));
    }
  }

  function counts(summary, attr) {
    const items = [['added', 'Added'], ['updated', 'Updated'], ['unchanged', 'Unchanged'], ['approved', 'Approved']];
    return h('dl', { class: 'import-counts' }, items.map(([k, label]) => {
      const dd = h('dd', {}, String(summary[k] || 0));
      dd.setAttribute(attr, k);
      return h('div', { class: 'import-count' }, h('dt', {}, label), dd);
    }));
  }

  function showPreview(summary) {
    clear(result);
    result.append(h('h3', {}, 'Preview: nothing changed yet'), counts(summary, 'data-preview'));
    if (summary.ignored_columns && summary.ignored_columns.length)
      result.append(h('p', {}, `Ignored columns: ${summary.ignored_columns.join(', ')}`));
    if (summary.profile_changes) result.append(h('p', {}, `${plural(summary.profile_changes, 'profile change', 'profile changes')} would be recorded in the ledger.`));
    const changes = summary.changes || [];
    if (changes.length) {
      const shown = changes.slice(0, MAX_CHANGES_SHOWN);
      result.append(h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Changes the import would make' },
        h('table', { class: 'import-changes' },
          h('caption', {}, 'What the import would change'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'Change'),
            h('th', { scope: 'col' }, 'Fields (old → new)'))),
          h('tbody', {}, shown.map((c) => h('tr', { 'data-change': c.key },
            h('th', { scope: 'row' }, c.key),
            h('td', {}, c.added ? 'add' : 'update'),
            h('td', {}, (c.fields && c.fields.length)
              ? h('ul', { class: 'import-fields' }, c.fields.map((f) => h('li', { class: 'import-field' }, f.replace(/ -> /g, ' → '))))
              : '')))))));
      if (changes.length > shown.length) result.append(h('p', {}, `and ${changes.length - shown.length} more devices.`));
    }
  }

  listen(preview, 'click', async () => {
    if (busy) return;
    const req = request();
    if (!req.text.trim()) {
      clear(result);
      result.append(h('p', { class: 'error-text' }, 'Choose a CSV file or paste its text first.'));
      return;
    }
    setBusy(true, 'Checking the file…');
    try {
      const summary = await upload(req, true);
      if (isGone() || summary === null) return;
      showPreview(summary);
      previewed = req;
    } catch (err) {
      if (isGone()) return;
      previewed = null;
      showErrors(err);
    } finally {
      if (!isGone()) {
        setBusy(false);
        commit.disabled = !sameRequest(previewed, request());
      }
    }
  });

  listen(commit, 'click', async () => {
    if (busy || !previewed) return;
    const req = previewed;
    setBusy(true, 'Importing…');
    let done = false;
    try {
      const summary = await upload(req, false);
      if (isGone() || summary === null) return;
      clear(result);
      result.append(h('h3', {}, 'Imported'), counts(summary, 'data-imported'));
      ctx.notify(`Import: ${summary.added || 0} added, ${summary.updated || 0} updated, ${summary.approved || 0} approved, ${summary.unchanged || 0} unchanged`, 'success');
      previewed = null;
      done = true;
      // Imported: the text goes, so the same file is not sent twice by accident.
      text.value = '';
      text.disabled = false;
      file.value = '';
      bigText = null;
      fileNote.textContent = '';
    } catch (err) {
      if (isGone()) return;
      showErrors(err);
      ctx.notify(`Import refused: ${errorText(err)}`, 'error');
    } finally {
      if (!isGone()) {
        setBusy(false);
        commit.disabled = true;
      }
    }
    if (done && !isGone()) await reload();
  });

  return () => {};
}

function countRows(text) {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return Math.max(0, n - (text.endsWith('\n') ? 1 : 0));
}
