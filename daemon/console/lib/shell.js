// The shell's pure parts (app.js uses them; tests/console/unit checks them
// without a browser).
//
//   customerOptions(caller, listed)  the customer selector's options [{id, label}] for a /me answer
//       (caller) and the GET /customers rows (listed, [] when refused): only customers the caller
//       can reach. An MSP-side role (every role but customer-admin) reaches an Active or a
//       Delink requested customer only (kdad's msp_reaches); a token that reaches every customer
//       also gets "" (the desk's own customer) first.
//   hashCustomer(params, options, caller, current)
//       What the route's ?customer= asks of the selector: {action: 'none'} (no customer in the
//       hash, or the one already chosen), {action: 'choose', id} (the selector offers it) or
//       {action: 'refuse', id} (the caller cannot open it here).
//   NoticeTimer(ms, onExpire)        a countdown that pause() stops and resume() continues with the
//       time left (a notice stays while the pointer or the focus is on it); cancel() ends it.

// Roles whose token made without --customer reaches every customer.
export const REACH_ALL_ROLES = ['msp-admin', 'desk-operator', 'viewer'];

// Customer states the MSP side still reaches (daemon/src/model/customer.cc msp_reaches).
export const MSP_REACHABLE = ['Active', 'Delink requested'];

export function needsSelector(caller) {
  const customers = caller.customers || [];
  return customers.length > 1 || (customers.length === 0 && REACH_ALL_ROLES.includes(caller.role));
}

export function customerOptions(caller, listed = []) {
  const mine = caller.customers || [];
  const reachesAll = mine.length === 0;
  const mspSide = caller.role !== 'customer-admin';
  const byId = new Map(listed.map((c) => [c.id, c]));
  const reachable = (c) => !mspSide || !c || MSP_REACHABLE.includes(c.status);
  let choices;
  if (reachesAll) choices = listed.filter(reachable);
  else choices = mine.filter((id) => reachable(byId.get(id))).map((id) => byId.get(id) || { id });
  choices = choices.map((c) => ({ id: c.id, name: c.company_name || '' }));
  choices.sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
  const options = reachesAll ? [{ id: '', label: "Desk's own customer" }] : [];
  for (const c of choices) options.push({ id: c.id, label: c.name ? `${c.name} (${c.id})` : c.id });
  return options;
}

export function hashCustomer(params, options, caller, current) {
  if (!params || !params.has('customer')) return { action: 'none' };
  const id = params.get('customer');
  if (options) {
    if (!options.some((o) => o.id === id)) return { action: 'refuse', id };
    return id === current ? { action: 'none' } : { action: 'choose', id };
  }
  // No selector: the token reaches one customer (or none), which every request names already.
  const mine = (caller && caller.customers) || [];
  return mine.length === 1 && mine[0] === id ? { action: 'none' } : { action: 'refuse', id };
}

export class NoticeTimer {
  constructor(ms, onExpire) {
    this.left = ms;
    this.onExpire = onExpire;
    this.timer = null;
    this.startedAt = 0;
    this.done = false;
    this.resume();
  }

  pause() {
    if (this.done || this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.left = Math.max(0, this.left - (Date.now() - this.startedAt));
  }

  resume() {
    if (this.done || this.timer !== null) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.done = true;
      this.onExpire();
    }, this.left);
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = null;
    this.done = true;
  }
}
