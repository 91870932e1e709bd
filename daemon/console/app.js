// The console's shell: sign-in with an API token, the views the token's
// role may use, a hash router (#/devices?state=Unassigned), the customer
// selector and the ctx each view gets (see the console contract: the view
// interface is export default {id, title, roles, mount(root, ctx)}).
// The token lives in sessionStorage (this tab only) and travels only as the
// Authorization header.

import { Api, ApiError } from './lib/api.js';
import { EventFeed } from './lib/events.js';
import { h, clear, errorText, closeDialogs } from './lib/dom.js';
import { needsSelector, customerOptions, hashCustomer, NoticeTimer } from './lib/shell.js';

const TOKEN_KEY = 'kda.console.token';
const CUSTOMER_KEY = 'kda.console.customer';

// The views in nav order. Each module says its own title and the roles
// that may use it (views/<id>.js); nothing here repeats them.
const VIEWS = ['desk', 'devices', 'uploads', 'profiles', 'ledger', 'customers', 'fleet'];
const ROLES = ['msp-admin', 'customer-admin', 'reseller', 'desk-operator', 'viewer'];

const CAPABILITIES = {
  secrets: ['msp-admin', 'customer-admin'],
  manage_devices: ['msp-admin', 'customer-admin'],
  manage_profiles: ['msp-admin', 'customer-admin'],
  confirm: ['msp-admin', 'customer-admin', 'desk-operator'],
  upload: ['msp-admin', 'customer-admin', 'reseller'],
  manage_customers: ['msp-admin'],
};

const el = {
  main: document.getElementById('main'),
  nav: document.getElementById('nav'),
  navList: document.getElementById('nav-list'),
  session: document.getElementById('session-controls'),
  whoami: document.getElementById('whoami'),
  customerSlot: document.getElementById('customer-slot'),
  signout: document.getElementById('signout'),
  notices: document.getElementById('notices'),
  feedState: document.getElementById('feed-state'),
};

const state = {
  token: null,
  caller: null,
  api: null,
  events: null,
  ready: false,        // signed in and the customer selector set: views may mount
  noViews: '',         // what the page says when the caller has no view
  views: [],           // the loaded view modules the caller may use, in nav order
  customers: null,     // the selector's choices, null when there is no selector
  customer: null,      // ctx.customer
  current: null,       // {id, query, section, cleanup, generation}
  generation: 0,
};

// ---------------------------------------------------------------- notices

// Errors stay until dismissed. Success and info notices go after 20 s, or
// when dismissed, but their time stands still while the pointer is on one
// or the focus is in it (WCAG 2.2.1: time to read it). #notices is a polite
// live region, which announces every notice once; its items carry no
// role=alert, which would announce an error a second time.
const NOTICE_MS = 20000;

function notify(message, kind = 'info') {
  const k = ['info', 'success', 'error'].includes(kind) ? kind : 'info';
  let timer = null;
  const dismiss = () => {
    if (timer) timer.cancel();
    // The focus was on its Dismiss button: give it to the main region, not <body>.
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    if (hadFocus) el.main.focus();
  };
  const item = h('div', { class: ['notice', `notice-${k}`] },
    h('span', { class: 'notice-text' }, String(message)),
    h('button', {
      type: 'button', class: 'notice-close', 'aria-label': 'Dismiss notice',
      onclick: dismiss,
    }, '×'));
  if (k !== 'error') {
    timer = new NoticeTimer(NOTICE_MS, dismiss);
    item.addEventListener('pointerenter', () => timer.pause());
    item.addEventListener('pointerleave', () => { if (!item.contains(document.activeElement)) timer.resume(); });
    item.addEventListener('focusin', () => timer.pause());
    item.addEventListener('focusout', (event) => {
      if (!item.contains(event.relatedTarget) && !item.matches(':hover')) timer.resume();
    });
  }
  el.notices.append(item);
  while (el.notices.children.length > 5) {
    const oldest = el.notices.firstElementChild;
    oldest.querySelector('.notice-close')?.click();
    if (oldest.isConnected) oldest.remove();
  }
}

// ---------------------------------------------------------------- views

let modulesPromise = null;

// Every view module, loaded once; one that fails to load keeps its place
// in the nav (for every role: its module would have said which) and shows
// its error when opened, instead of breaking the shell.
function loadViews() {
  modulesPromise ??= Promise.all(VIEWS.map(async (id) => {
    try {
      const view = (await import(`./views/${id}.js`)).default;
      if (!view || typeof view.mount !== 'function' || !Array.isArray(view.roles))
        throw new Error('the module has no default view with mount() and roles');
      return { ...view, id };
    } catch (err) {
      console.error(`view ${id} failed to load`, err);
      return { id, title: id[0].toUpperCase() + id.slice(1), roles: ROLES, broken: err };
    }
  }));
  return modulesPromise;
}

function can(what) {
  const roles = CAPABILITIES[what];
  return Boolean(roles && state.caller && roles.includes(state.caller.role));
}

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  const id = decodeURIComponent(q >= 0 ? hash.slice(0, q) : hash);
  const query = q >= 0 ? hash.slice(q + 1) : '';
  return { id, query };
}

function hashFor(id, params) {
  let query = '';
  if (params instanceof URLSearchParams) query = params.toString();
  else if (params && typeof params === 'object') {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)));
      else p.append(k, String(v));
    }
    query = p.toString();
  } else if (typeof params === 'string') query = params.replace(/^\?/, '');
  return `#/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;
}

// The hash navigate() set with {keepFocus: true}: the hashchange it causes
// mounts the view without moving the focus to its h1 (the view focuses what
// it wants, e.g. the devices pager its own button).
let keepFocusFor = null;

function navigate(id, params, { keepFocus = false } = {}) {
  const target = hashFor(id, params);
  if (location.hash === target) {
    route({ force: true, keepFocus });
    return;
  }
  keepFocusFor = keepFocus ? target : null;
  location.hash = target;
}

function onHashChange() {
  // Only "#/view..." is a route; the skip link's "#main" is not.
  if (location.hash !== '' && !location.hash.startsWith('#/')) return;
  const keepFocus = keepFocusFor !== null && keepFocusFor === location.hash;
  keepFocusFor = null;
  route({ keepFocus });
}

function unmountCurrent() {
  const cur = state.current;
  state.current = null;
  state.generation++;  // a mount still under way is stale now: its cleanup runs when it ends
  // A dialog the view opened (a confirmation, a device's details) goes with it:
  // a confirmation closed this way answers false, so no action of the left view runs.
  closeDialogs();
  if (!cur) return;
  if (typeof cur.cleanup === 'function') {
    try { cur.cleanup(); } catch (err) { console.error(`view ${cur.id}: cleanup failed`, err); }
  }
  cur.section.remove();
}

function focusHeading(section) {
  const heading = section.querySelector('h1');
  if (!heading) return false;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: false });
  return true;
}

async function route({ force = false, keepFocus = false } = {}) {
  if (!state.caller || !state.ready) return;  // signIn routes once the customer selector is set
  const { id, query } = parseHash();
  const view = state.views.find((v) => v.id === id);
  if (!view) {
    const first = state.views[0];
    if (!first) {
      unmountCurrent();
      clear(el.main).append(h('section', { class: 'empty-state' },
        h('h1', {}, 'Nothing to show'), h('p', { id: 'no-views' }, state.noViews)));
      return;
    }
    history.replaceState(null, '', hashFor(first.id));
    return route({ force: true });
  }
  if (!force && state.current && state.current.id === id && state.current.query === query) return;
  const params = new URLSearchParams(query);
  const wanted = hashCustomer(params, state.customers, state.caller, state.customer);
  if (wanted.action === 'choose') {
    setCustomer(wanted.id);
  } else if (wanted.action === 'refuse') {
    // The hash names a customer this token cannot open here: say so, and take
    // it out of the address, which would otherwise name a customer not shown.
    notify(`Customer ${wanted.id || "(the desk's own)"} cannot be opened with this token; showing ${customerName(state.customer)}.`, 'error');
    params.delete('customer');
    history.replaceState(null, '', hashFor(id, params));
    return route({ force: true, keepFocus });
  }
  unmountCurrent();
  clear(el.main);
  const generation = ++state.generation;
  const section = h('section', { dataset: { view: view.id }, 'aria-label': view.title });
  el.main.append(section);
  state.current = { id, query, section, cleanup: null, generation };
  document.title = `${view.title} · kda console`;
  for (const a of el.navList.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (view.broken) {
    section.append(h('h1', {}, view.title),
      h('p', { class: 'error-text' }, `This view could not be loaded: ${errorText(view.broken)}`));
    section.dataset.ready = 'true';
    focusHeading(section);
    return;
  }
  const ctx = {
    api: state.api,
    events: state.events,
    caller: state.caller,
    customer: state.customer,
    can,
    params,
    navigate,
    notify,
    chooseCustomer,
    customersChanged,
  };
  let result;
  try {
    result = view.mount(section, ctx);
    const focused = keepFocus || focusHeading(section);
    if (!focused && result && typeof result.then === 'function') {
      result = await result;
      if (state.generation === generation) focusHeading(section);
    } else if (result && typeof result.then === 'function') {
      result = await result;
    }
  } catch (err) {
    console.error(`view ${id}: mount failed`, err);
    if (state.generation === generation && !(err instanceof ApiError && err.status === 401)) {
      if (!section.querySelector('h1')) section.prepend(h('h1', {}, view.title));
      section.append(h('p', { class: 'error-text' }, errorText(err)));
      section.dataset.ready = 'true';
      notify(`${view.title}: ${errorText(err)}`, 'error');
    }
    return;
  }
  if (state.generation !== generation) {
    // Left while it was mounting: clean up what it started.
    if (typeof result === 'function') {
      try { result(); } catch (err) { console.error(`view ${id}: cleanup failed`, err); }
    }
    return;
  }
  if (state.current) state.current.cleanup = typeof result === 'function' ? result : null;
}

function renderNav() {
  clear(el.navList);
  for (const view of state.views) {
    el.navList.append(h('li', {}, h('a', { href: hashFor(view.id), dataset: { nav: view.id } }, view.title)));
  }
}

// ---------------------------------------------------------------- customer selector

async function setupCustomers() {
  clear(el.customerSlot);
  const caller = state.caller;
  if (!needsSelector(caller)) {
    state.customers = null;
    state.customer = null;
    return;
  }
  let listed = [];
  try {
    const answer = await state.api.get('/customers', { customer: null });
    listed = answer.customers || [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    // Refused (or unreachable): the token's own customers are still choices.
  }
  // Only customers this token can open: a Delinked or Pending customer
  // approval one would make every view fail with other_customer.
  const options = customerOptions(caller, listed);
  state.customers = options;
  const stored = sessionStorage.getItem(CUSTOMER_KEY);
  const chosen = options.find((o) => o.id === (state.customer ?? stored)) || options.find((o) => o.id === stored) || options[0];
  state.customer = chosen ? chosen.id : null;
  const select = h('select', {
    id: 'customer-select', name: 'customer', value: state.customer ?? '',
    onchange: () => {
      setCustomer(select.value);
      // A hash naming a customer follows the selector, so the address (a
      // bookmark, a reload) names the customer shown.
      const { id, query } = parseHash();
      const params = new URLSearchParams(query);
      if (params.has('customer')) {
        params.set('customer', select.value);
        history.replaceState(null, '', hashFor(id, params));
      }
      route({ force: true, keepFocus: true });  // the select keeps focus: arrow keys go on choosing
    },
  }, options.map((o) => h('option', { value: o.id }, o.label)));
  el.customerSlot.append(h('label', { for: 'customer-select', class: 'customer-label' }, 'Customer'), select);
}

function setCustomer(id) {
  state.customer = id;
  sessionStorage.setItem(CUSTOMER_KEY, id);
  const select = document.getElementById('customer-select');
  if (select && select.value !== id) select.value = id;
}

function customerName(id) {
  const option = state.customers && state.customers.find((o) => o.id === id);
  if (option) return option.label;
  const mine = (state.caller && state.caller.customers) || [];
  return mine.length === 1 ? mine[0] : 'no customer';
}

// Switches the selector to customer `id` (when it offers it), then opens
// view `viewId` for it; false when the selector cannot name that customer.
function chooseCustomer(id, viewId, params) {
  if (!state.customers || !state.customers.some((o) => o.id === id)) return false;
  setCustomer(id);
  navigate(viewId, params);
  return true;
}

// A view added, renamed or removed a customer: the selector reads the list again.
async function customersChanged() {
  if (!state.customers) return;
  try {
    await setupCustomers();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) notify(`Customers: ${errorText(err)}`, 'error');
  }
}

// ---------------------------------------------------------------- sign-in / out

// reason: the line #signin-error shows. retry: a function that signs in
// again with the token kept in this tab (after a failure that was not a 401:
// kdad restarting, a network blip); it adds a Retry button.
function showSignIn(reason, { retry = null } = {}) {
  unmountCurrent();
  el.session.hidden = true;
  el.nav.hidden = true;
  document.body.classList.remove('signed-in');
  document.title = 'Sign in · kda console';
  // An API token is not the user's password: no browser should offer to save
  // it or fill it in elsewhere. autocomplete=off does not do that on a
  // password field (Chromium and Firefox both ignore it there), and
  // new-password makes them offer to generate and save one. A password field
  // marked one-time-code is one both password managers leave out (neither
  // offers to save or fill it) while the value stays masked, which a type=text
  // field could only do with -webkit-text-security, which Firefox lacks.
  const input = h('input', {
    id: 'signin-token', name: 'token', type: 'password', autocomplete: 'one-time-code', spellcheck: 'false',
    autocapitalize: 'off',
    required: true, 'aria-describedby': 'signin-help', 'aria-invalid': reason && !retry ? 'true' : null,
  });
  const error = h('p', { id: 'signin-error', class: 'field-error', role: 'alert' }, reason || '');
  const submit = h('button', { id: 'signin-submit', type: 'submit', class: 'primary' }, 'Sign in');
  const retryButton = retry ? h('button', {
    id: 'signin-retry', type: 'button', class: 'secondary',
    onclick: async () => {
      retryButton.disabled = true;
      submit.disabled = true;
      error.textContent = '';
      await retry();  // shows the sign-in again (with this button) when it fails once more
    },
  }, 'Retry') : null;
  const form = h('form', { id: 'signin', novalidate: true, 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('div', { class: 'field' },
      h('label', { for: 'signin-token' }, 'API token'),
      input,
      h('p', { id: 'signin-help', class: 'field-hint' },
        'Make one on the desk with ', h('code', {}, 'kdactl tokens create --role ROLE --name NAME'),
        '; it is kept in this tab only.'),
      error),
    h('div', { class: 'form-buttons' }, submit, retryButton));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = 'Enter an API token.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      await signIn(token, { fromForm: true });
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401
        ? `Not signed in: ${errorText(err)}` : errorText(err);
      input.setAttribute('aria-invalid', 'true');
      submit.disabled = false;
      input.focus();
    }
  });
  clear(el.main).append(h('section', { class: 'signin-screen' }, form));
  if (retryButton) retryButton.focus();
  else input.focus();
}

// Forgets the signed-in state of this page (not the stored token).
function resetSession() {
  if (state.events) state.events.stop();
  closeDialogs();  // a modal left open would make the sign-in form unusable
  unmountCurrent();
  state.token = null;
  state.ready = false;
  state.caller = null;
  state.api = null;
  state.events = null;
  state.views = [];
  state.customer = null;
  state.customers = null;
  clear(el.navList);
  clear(el.customerSlot);
  clear(el.notices);  // they were the signed-in session's; the sign-in form says why it ended
  el.whoami.textContent = '';
  setFeedState('idle');
}

function signOut(reason) {
  resetSession();
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(CUSTOMER_KEY);
  showSignIn(reason);
}

function onUnauthorized(err) {
  if (!state.caller) return;  // not signed in (yet): the sign-in form reports it
  signOut(`Signed out: ${errorText(err)}`);
}

function setFeedState(feedState, detail) {
  if (!el.feedState) return;
  const labels = { connecting: 'Connecting…', live: 'Live', retrying: 'Reconnecting…', refused: 'No live events', stopped: '', idle: '' };
  el.feedState.textContent = labels[feedState] ?? '';
  el.feedState.dataset.state = feedState;
  el.feedState.title = detail || '';
}

// A customer-admin of a fully managed customer may sign in but not use
// the desk: its MSP administers the customer, and every view's request is
// refused (kda.customer management_forbids). Says so once, in the desk's
// words, instead of an error in each view; null for everyone else.
async function fullyManaged(api, caller) {
  if (caller.role !== 'customer-admin') return null;
  try {
    await api.get('/profiles', { customer: null });
    return null;
  } catch (err) {
    if (err instanceof ApiError && err.code && err.code.category === 'kda.customer' && err.code.value === 4)
      return `Customer ${caller.customers.join(', ')} is fully managed: its MSP administers its devices and `
        + 'profiles, so a customer-admin token has nothing to do in this console. Ask the MSP.';
    if (err instanceof ApiError && err.status === 401) throw err;
    return null;  // another refusal: each view says its own
  }
}

async function signIn(token) {
  try {
    await startSession(token);
  } catch (err) {
    resetSession();  // a failure after /me answered must not leave half a session
    throw err;
  }
}

async function startSession(token) {
  const api = new Api({ token, customer: () => state.customer, onUnauthorized });
  const caller = await api.get('/me', { customer: null });
  caller.customers = Array.isArray(caller.customers) ? caller.customers : [];
  caller.user = caller.user || '';
  state.token = token;
  state.api = api;
  state.caller = caller;
  sessionStorage.setItem(TOKEN_KEY, token);
  state.events = new EventFeed({ token, onUnauthorized });
  state.events.onState = setFeedState;
  el.whoami.textContent = `${caller.user} · ${caller.role}`;
  el.whoami.title = caller.reseller ? `reseller ${caller.reseller}` : '';
  const views = await loadViews();
  state.views = views.filter((v) => v.roles.includes(caller.role));
  state.noViews = `The role ${caller.role} has no view in this console.`;
  const managed = await fullyManaged(api, caller);
  if (managed) {
    state.views = [];
    state.noViews = managed;
  }
  await setupCustomers();
  if (!state.caller) return;  // signed out meanwhile
  renderNav();
  state.ready = true;
  el.session.hidden = false;
  el.nav.hidden = false;
  document.body.classList.add('signed-in');
  await route({ force: true });
}

async function boot() {
  el.signout.addEventListener('click', () => signOut(''));
  window.addEventListener('hashchange', onHashChange);
  const skip = document.querySelector('.skip-link');
  if (skip) {
    skip.addEventListener('click', (event) => {
      event.preventDefault();
      const heading = el.main.querySelector('h1');
      if (heading) focusHeading(el.main);
      else el.main.focus();
    });
  }
  await resumeSession();
}

// A reload signs in again with the token kept in this tab. Only a 401 (the
// token unknown, revoked or expired) forgets it; any other failure keeps it
// and offers Retry beside the sign-in form.
async function resumeSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showSignIn('');
    return;
  }
  try {
    await signIn(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(CUSTOMER_KEY);
      showSignIn(`Signed out: ${errorText(err)}`);
    } else {
      showSignIn(`Could not sign in again with the token kept in this tab: ${errorText(err)}`, { retry: resumeSession });
    }
  }
}

boot();
