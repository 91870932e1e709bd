// The fleet view: which desks are up, their sessions and transports. The
// desks come from GET /status (its desks: every desk sharing this desk's
// PostgreSQL store that published itself lately, idle ones too, each with its
// primary id, start, transports, HTTP API and session counts; on a lone desk
// just this one); the sessions under way at every desk from
// GET /sessions?fleet=true (docs/FLEET.md section 5), this desk's own from
// GET /sessions. Refreshed every 10 s and on session events.
import { h, formatTime, formatAge, errorText, badge } from '../lib/dom.js';

const REFRESH_MS = 10_000;
const EVENT_DELAY_MS = 1000;
const dash = '–';
const orDash = (v) => (v === undefined || v === null || v === '' ? dash : String(v));

function bytes(n) {
  const v = Number(n || 0);
  if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(1)} GiB`;
  if (v >= 2 ** 20) return `${(v / 2 ** 20).toFixed(1)} MiB`;
  if (v >= 2 ** 10) return `${(v / 2 ** 10).toFixed(1)} KiB`;
  return `${v} B`;
}

function transportState(t) {
  if (!t.enabled) return badge('disabled', 'neutral');
  const detail = t.detail || 'enabled';
  return badge(detail, /^listening/i.test(detail) ? 'ok' : /(fail|error|cannot|unavailable|not )/i.test(detail) ? 'error' : 'warn');
}

function sessionState(s) {
  if (s.waiting_for_confirmation) return badge(s.state || 'awaiting confirmation', 'warn');
  return badge(orDash(s.state));
}

// A table's scrolling box: focusable, so a keyboard can scroll it (it may hold no link or button).
function scrollBox(label, table) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label }, table);
}

// A definition list of [term, value] pairs (value: text or Node; empty ones left out).
function facts(pairs) {
  return h('dl', { class: 'fleet-facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// An element's identity for morph(): the same tag and the same key attributes.
const KEYS = ['id', 'aria-label', 'data-desk', 'data-session', 'data-transport', 'role'];
function sameKind(a, b) {
  if (a.nodeType !== b.nodeType) return false;
  if (a.nodeType !== Node.ELEMENT_NODE) return true;
  return a.tagName === b.tagName && KEYS.every((k) => a.getAttribute(k) === b.getAttribute(k));
}

// Makes `box`'s children look like `next`'s, keeping every element whose kind
// and place are the same: a refresh with the same data changes nothing in the
// page, and one with new data changes only the cells that differ, so a scroll
// region keeps its focus and its scroll position. (The fleet's content holds no
// listeners nor form state, so keeping an element is as good as a new one.)
export function morph(box, next) {
  const wanted = [...next.childNodes];
  wanted.forEach((want, i) => {
    const have = box.childNodes[i];
    if (!have) box.append(want);
    else if (!sameKind(have, want)) box.replaceChild(want, have);
    else if (have.nodeType === Node.ELEMENT_NODE) {
      for (const a of [...have.attributes]) if (!want.hasAttribute(a.name)) have.removeAttribute(a.name);
      for (const a of [...want.attributes]) if (have.getAttribute(a.name) !== a.value) have.setAttribute(a.name, a.value);
      morph(have, want);
    } else if (have.nodeValue !== want.nodeValue) have.nodeValue = want.nodeValue;
  });
  while (box.childNodes.length > wanted.length) box.lastChild.remove();
}

export default {
  id: 'fleet',
  title: 'Fleet',
  roles: ['msp-admin', 'customer-admin', 'desk-operator', 'viewer'],

  async mount(root, ctx) {
    const { api } = ctx;
    let alive = true;
    let timer = null;
    let eventTimer = null;
    let loading = null;

    // Not a live region: its time changes at every refresh, which a screen reader would read out each time.
    const updated = h('p', { class: 'fleet-updated' });
    const content = h('div', { class: 'fleet-content' });
    root.append(
      h('h1', {}, 'Fleet'),
      h('p', { class: 'fleet-intro' },
        'The desks that are up, with their transports, API and sessions under way. Desks sharing one ',
        'database see each other, idle ones too; a desk that stops leaves the list within seconds.'),
      h('div', { class: 'fleet-toolbar' },
        h('button', { type: 'button', id: 'fleet-refresh', class: 'secondary', onclick: () => load() }, 'Refresh'),
        updated),
      content);

    // A load asked for while one runs comes after it (that one may have read before the change).
    let again = false;
    async function load() {
      if (loading) {
        again = true;
        return loading;
      }
      loading = (async () => {
        root.dataset.ready = 'false';
        try {
          const [status, own, fleet] = await Promise.all([
            // Desk-wide, not the selected customer's: the token's own reach decides what it sees
            // (and a fleet row names no customer, so a ?customer= would drop every one).
            api.get('/status', { customer: null }),
            api.get('/sessions', { customer: null }).catch(() => ({ sessions: [] })),
            api.get('/sessions', { fleet: true, customer: null }).catch((err) => ({ sessions: [], error: errorText(err) })),
          ]);
          if (!alive) return;
          render(status, own.sessions || [], fleet);
          updated.textContent = `Updated ${formatTime(Date.now())}; refreshed every ${REFRESH_MS / 1000} s.`;
        } catch (err) {
          if (!alive) return;
          show([h('p', { class: 'notice notice-error fleet-error', role: 'alert' },
            `Could not read the desk's status: ${errorText(err)}`)]);
          updated.textContent = '';
        } finally {
          loading = null;
          if (alive) root.dataset.ready = 'true';
        }
      })();
      const current = loading;
      await current;
      if (again && alive) {
        again = false;
        return load();
      }
      return undefined;
    }

    // A desk's transports: the enabled ones with their state, then how many are disabled.
    function transportList(transports, disabledNote) {
      const off = transports.filter((t) => !t.enabled).length;
      return h('ul', { class: 'fleet-list' }, transports.filter((t) => t.enabled)
        .map((t) => h('li', {}, h('span', { class: 'fleet-tname' }, t.name), ' ', transportState(t))),
      off ? h('li', { class: 'fleet-small' }, `${off} disabled${disabledNote}`) : null,
      transports.length === 0 ? h('li', { class: 'fleet-small' }, 'none known') : null);
    }

    function render(status, ownSessions, fleet) {
      const self = status.name || status.primary_id || 'this desk';
      const store = status.store || {};
      const http = status.http;
      const now = Date.now();
      const transports = (status.transports || []);
      // The desks up (status.desks: this one included); a kdad without them knows only itself.
      const desks = (status.desks && status.desks.length ? status.desks : [{
        name: self, primary_id: status.primary_id, started_ms: status.started_ms, transports,
        active_sessions: status.active_sessions, awaiting_confirmation: status.awaiting_confirmation,
        http_listen: http?.listen, this_desk: true,
      }]).map((d) => ({ ...d, name: d.name || d.primary_id || dash }));
      // Every desk's sessions, by desk name; this desk's own list has what the fleet list leaves out.
      const byDesk = new Map(desks.map((d) => [d.name, []]));
      byDesk.set(self, ownSessions.map((s) => ({ ...s, desk: self })));
      const latecomers = [];  // a desk whose sessions were read but not (yet) the desk itself
      for (const s of fleet.sessions || []) {
        const desk = s.desk || dash;
        if (desk === self) continue;
        if (!byDesk.has(desk)) {
          byDesk.set(desk, []);
          latecomers.push({ name: desk, known_by_sessions: true });
        }
        byDesk.get(desk).push(s);
      }

      const deskRows = [...desks, ...latecomers].map((d) => {
        const mine = Boolean(d.this_desk) || d.name === self;
        const sessions = byDesk.get(d.name) || [];
        const active = mine || d.known_by_sessions ? sessions.length : Number(d.active_sessions || 0);
        const waiting = mine || d.known_by_sessions ? sessions.filter((s) => s.waiting_for_confirmation).length
          : Number(d.awaiting_confirmation || 0);
        const started = Number(d.started_ms || 0);
        const seen = Number(d.seen_ms || 0);
        const listen = mine ? http : (d.http_listen ? { listen: d.http_listen } : null);
        return h('tr', { 'data-desk': d.name, class: mine ? 'fleet-self' : null },
          h('th', { scope: 'row' }, d.name, mine ? h('span', { class: 'fleet-you' }, ' (this desk)')
            : d.known_by_sessions ? [h('br', {}), h('span', { class: 'fleet-you' }, 'known by its sessions')] : null),
          h('td', { 'data-label': 'State' },
            status.store_unavailable && mine ? badge('store unavailable', 'error') : badge('up', 'ok'),
            !mine && seen ? [h('br', {}), h('span', { class: 'fleet-age' }, `seen ${formatAge(Math.max(0, now - seen) / 1000)} ago`)] : null),
          h('td', { 'data-label': 'Primary id', class: 'fleet-mono' }, orDash(d.primary_id)),
          h('td', { 'data-label': 'Started' }, started
            ? [h('span', { class: 'fleet-nowrap' }, formatTime(started)), h('br', {}),
              h('span', { class: 'fleet-age' }, `up ${formatAge(Math.max(0, now - started) / 1000)}`)]
            : dash),
          h('td', { 'data-label': 'Store' }, mine
            ? [orDash(store.engine), store.where ? [h('br', {}), h('span', { class: 'fleet-mono fleet-wrap fleet-small' }, store.where)] : null]
            : [orDash(store.engine), h('br', {}), h('span', { class: 'fleet-small' }, 'shared with this desk')]),
          h('td', { 'data-label': 'API' }, apiCell(listen, mine)),
          h('td', { 'data-label': 'Sessions', class: 'num' }, String(active), waiting ? h('span', { class: 'fleet-waiting' }, ` (${waiting} awaiting)`) : null),
          h('td', { 'data-label': 'Transports' }, d.known_by_sessions
            ? h('ul', { class: 'fleet-list' }, [...new Set(sessions.map((s) => s.transport).filter(Boolean))]
              .map((t) => h('li', {}, h('span', { class: 'fleet-tname' }, t), ' ', badge('in use', 'info'))))
            : transportList(mine ? transports : (d.transports || []), mine ? ' (below)' : '')));
      });

      const deskTable = h('table', { id: 'fleet-table', class: 'table table-cards fleet-table' },
        h('caption', {}, `Desks up (${deskRows.length})`),
        h('thead', {}, h('tr', {},
          ['Desk', 'State', 'Primary id', 'Started', 'Store', 'API', 'Sessions', 'Transports'].map((label) =>
            h('th', { scope: 'col', class: label === 'Sessions' ? 'num' : null }, label)))),
        h('tbody', {}, deskRows));

      const allSessions = [...byDesk.values()].flat();
      const sessionTable = h('table', { id: 'fleet-sessions', class: 'table fleet-sessions' },
        h('caption', { class: 'visually-hidden' }, `Sessions under way (${allSessions.length})`),
        h('thead', {}, h('tr', {},
          ['Desk', 'Session', 'Transport', 'Device', 'Model', 'State', 'Started'].map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, allSessions.length === 0
          ? h('tr', { class: 'empty-row' }, h('td', { colspan: '7' }, 'No sessions under way.'))
          : allSessions.map((s) => h('tr', { 'data-session': s.id, 'data-desk': s.desk },
            h('td', {}, orDash(s.desk)),
            h('td', { class: 'fleet-mono' }, orDash(s.id)),
            h('td', {}, orDash(s.transport)),
            h('td', { class: 'fleet-mono' }, orDash(s.device)),
            h('td', {}, orDash(s.model)),
            h('td', {}, sessionState(s)),
            h('td', {}, s.started_ms ? [formatTime(s.started_ms), ' ', h('span', { class: 'fleet-age' }, `(${formatAge(s.age_seconds ?? (now - s.started_ms) / 1000)})`)] : dash)))));

      const transportTable = h('table', { id: 'fleet-transports', class: 'table fleet-transports' },
        h('caption', {}, `Transports of ${self}`),
        h('thead', {}, h('tr', {}, ['Transport', 'State', 'Address', 'Confirmation'].map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, transports.length === 0
          ? h('tr', { class: 'empty-row' }, h('td', { colspan: '4' }, 'No transports.'))
          : transports.map((t) => h('tr', { 'data-transport': t.name },
            h('th', { scope: 'row' }, orDash(t.name)),
            h('td', {}, transportState(t)),
            h('td', { class: 'fleet-mono' }, orDash(t.address)),
            h('td', {}, orDash(t.confirm))))));

      const warnings = [];
      if (status.store_unavailable) {
        warnings.push(h('p', { class: 'notice notice-error', role: 'alert' },
          `The store does not answer since ${formatTime(status.store_unavailable.since_ms || status.store_unavailable.since)}: `,
          orDash(status.store_unavailable.error)));
      }
      if (status.disk?.refusing_sessions) {
        warnings.push(h('p', { class: 'notice notice-error', role: 'alert' },
          `The desk refuses new sessions: ${bytes(status.disk.free_bytes)} free, below its minimum of ${bytes(status.disk.min_free_bytes)}.`));
      }
      if ((status.placeholder_profiles || []).length) {
        warnings.push(h('p', { class: 'notice notice-info' },
          `Profiles still carrying example values: ${status.placeholder_profiles.map((p) => p.profile).filter(Boolean).join(', ') || status.placeholder_profiles.length}.`));
      }
      if (fleet.error) {
        warnings.push(h('p', { class: 'notice notice-info' }, `Other desks' sessions could not be read: ${fleet.error}`));
      }

      const away = status.turned_away || {};
      const deskDetails = h('section', { class: 'fleet-desk', 'aria-labelledby': 'fleet-desk-title' },
        h('h2', { id: 'fleet-desk-title' }, `This desk: ${self}`),
        h('div', { class: 'fleet-cards' },
          h('div', { class: 'fleet-card' }, h('h3', {}, 'Desk'), facts([
            ['Name', self],
            ['Version', status.version],
            ['Primary id', status.primary_id],
            ['Primary key', status.primary_key ? h('span', { class: 'fleet-mono fleet-wrap' }, status.primary_key) : null],
            ['Started', status.started_ms ? formatTime(status.started_ms) : status.started],
            ['Configuration', status.config_file ? h('span', { class: 'fleet-mono fleet-wrap' }, status.config_file) : null],
            ['Default profile', status.default_profile],
            ['Profiles', String(status.profiles || 0)],
            ['Devices', String(status.devices || 0)],
            ['Awaiting approval', String(status.pending_devices || 0)],
            ['Active sessions', String(status.active_sessions || 0)],
            ['Awaiting confirmation', String(status.awaiting_confirmation || 0)],
          ])),
          h('div', { class: 'fleet-card' }, h('h3', {}, 'Store'), facts([
            ['Engine', orDash(store.engine)],
            ['Where', store.where ? h('span', { class: 'fleet-mono fleet-wrap' }, store.where) : dash],
            ['Round trips of sessions', String(store.session_round_trips || 0)],
            ['State', status.store_unavailable ? badge('unavailable', 'error') : badge('answering', 'ok')],
          ])),
          h('div', { class: 'fleet-card' }, h('h3', {}, 'HTTP API'), http ? facts([
            ['Listens on', h('span', { class: 'fleet-mono' }, orDash(http.listen))],
            ['TLS', http.tls ? 'yes (TLS 1.3)' : 'no (plain HTTP on loopback)'],
            ['Certificate SHA-256', http.certificate_sha256 ? h('span', { class: 'fleet-mono fleet-wrap', id: 'fleet-fingerprint' }, http.certificate_sha256) : null],
            ['Certificate', http.certificate ? h('span', { class: 'fleet-mono fleet-wrap' }, http.certificate) : null],
          ]) : h('p', {}, 'No HTTP API configured.')),
          h('div', { class: 'fleet-card' }, h('h3', {}, 'Disk and refusals'), facts([
            ['Free', status.disk ? bytes(status.disk.free_bytes) : dash],
            ['Minimum free', status.disk ? bytes(status.disk.min_free_bytes) : dash],
            ['Sessions rate-limited', String(away.sessions_rate_limited || 0)],
            ['Claims rate-limited', String(away.claims_rate_limited || 0)],
            ['Refused for low space', String(away.refused_low_space || 0)],
            ['Bare connections', String(away.bare_connections || 0)],
            ['Unkeyed failures', String(away.unkeyed_failures || 0)],
          ]))),
        scrollBox('Transports', transportTable));

      show([h('div', { class: 'fleet-warnings' }, warnings),  // always there, so the parts below keep their place
        scrollBox('Desks up', deskTable),
        h('h2', { id: 'fleet-sessions-title' }, `Sessions under way (${allSessions.length})`),
        scrollBox('Sessions under way', sessionTable),
        deskDetails]);
    }

    // Puts `nodes` in the content, changing only what differs. Should a scroll
    // region that had the focus be drawn anew all the same, the new one with the
    // same aria-label gets the focus and the scroll position back.
    function show(nodes) {
      const active = document.activeElement;
      const region = active && content.contains(active) ? active.closest('[role="region"][aria-label]') : null;
      const label = region && region.getAttribute('aria-label');
      const scroll = region && [region.scrollLeft, region.scrollTop];
      const next = document.createElement('div');
      next.append(...nodes);
      morph(content, next);
      if (!label || region.isConnected) return;
      const again = [...content.querySelectorAll('[role="region"][aria-label]')]
        .find((r) => r.getAttribute('aria-label') === label);
      if (!again) return;
      [again.scrollLeft, again.scrollTop] = scroll;
      if (active === region) again.focus({ preventScroll: true });
    }

    // Another desk's row knows only where its API listens (whole = false).
    function apiCell(http, whole = true) {
      if (!http) return 'not configured';
      if (!whole) return h('span', { class: 'fleet-mono' }, orDash(http.listen));
      return [h('span', { class: 'fleet-mono' }, orDash(http.listen)), http.tls ? ' (TLS)' : ' (plain HTTP)',
        http.certificate_sha256 ? [h('br', {}), h('span', { class: 'fleet-mono fleet-wrap fleet-small', title: 'Certificate SHA-256 fingerprint' },
          http.certificate_sha256)] : null];
    }

    function schedule() {
      timer = setTimeout(async () => {
        await load();
        if (alive) schedule();
      }, REFRESH_MS);
    }

    const unsubscribe = ctx.events?.subscribe?.((ev) => {
      if (ev.type !== 'session' && ev.type !== 'session_ended' && ev.type !== 'reset') return;
      if (eventTimer) return;
      eventTimer = setTimeout(() => {
        eventTimer = null;
        if (alive) load();
      }, EVENT_DELAY_MS);
    });

    await load();
    schedule();

    return () => {
      alive = false;
      clearTimeout(timer);
      clearTimeout(eventTimer);
      if (typeof unsubscribe === 'function') unsubscribe();
    };
  },
};
