// The customers view's forms and row actions (msp-admin), used by views/customers.js:
// the panel that adds a new customer or sends a link request for an existing one,
// the edit form with the rules of docs/MSP.md (a field refused by the server is
// shown beside it), and the confirmed lifecycle steps of a row (upgrade, delink
// request and revocation, link again). The table, its columns and attention
// counts stay in customers.js, which passes what these need to customerForms().
import { h, clear, confirmDialog, errorText } from '../lib/dom.js';

export const SIZES = ['0-19', '20-99', '100-249', '250-499', '500-999', '1000+'];
export const FULLY = 'Fully managed';
export const JOINTLY = 'Jointly managed';

export const dash = '–';
export const orDash = (v) => (v === undefined || v === null || v === '' ? dash : String(v));

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

// The add/link/edit panel and the row actions. env: ctx (the view's), state
// (the view's: state.customers is read at each step), panel (the empty
// section#customer-panel), table (table#customers-table), addButton (the focus
// when a form closes with no opener left), load() (reads the list again),
// isAlive() (the view is still mounted).
export function customerForms({ ctx, state, panel, table, addButton, load, isAlive }) {
  const { api } = ctx;

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
    if (!isAlive()) return false;
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
    if (!ok || (c ? !stillAsAsked(c) : !isAlive())) return;
    await step(c || { id }, 'Could not ask', () => api.post(`/customers/${encodeURIComponent(id)}/link`, undefined, { customer: null }),
      (n) => `Link request sent to ${n.company_name || id}: ${n.status}.`);
  }

  return { openAdd, openEdit, upgrade, delink, linkExisting };
}
