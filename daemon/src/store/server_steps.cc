// An enrollment's steps as PostgreSQL functions, so that each is one round
// trip to the server (issue: a fleet's desk a network away): the claim with
// its lease (StateStore::claim_device), the package's commit point
// (record) and the outcome with the lease given back (record_outcome).
// SQLite runs the same rules as C++ statements in a transaction
// (leases.cc, state_store.cc); the store conformance suite runs every
// test of them on both engines. What a rule takes from the C++ comes in as
// a parameter: the states a transition may come from (transition_allowed),
// the names of states and approvals, and a lost desk's reason
// (lost_desk_reason).
#include <cctype>
#include <string>
#include <vector>

#include "kda/daemon/state_store.h"
#include "database.h"
#include "device_rows.h"
#include "leases.h"
#include "postgresql.h"

namespace kda::daemon {
namespace {

// PostgreSQL's schema version 5 (schema_postgresql.cc).
constexpr const char* kEnrollmentFunctions = R"sql(
-- An enrollment's steps, one round trip each (StateStore::claim_device,
-- record, record_outcome): a claim with its lease, the package's commit
-- point, the outcome with the lease given back. Each is the same rule as
-- the C++ that SQLite runs (store/leases.cc, state_store.cc), which the
-- store conformance suite checks on both engines; what a rule takes from
-- the C++ comes in as a parameter (the states a transition may come from,
-- state and approval names, a lost desk's reason). Statements in a function take a fresh snapshot
-- each, as the C++'s statements in a transaction do.
CREATE FUNCTION kda_record(p_time_ms BIGINT, p_device TEXT, p_state TEXT, p_transport TEXT, p_session TEXT,
                           p_sas TEXT, p_reason TEXT, p_primary TEXT, p_profile TEXT, p_desk TEXT,
                           p_allowed_from TEXT[], p_once BOOLEAN, p_release BOOLEAN)
RETURNS TABLE (id BIGINT, from_state TEXT) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_id BIGINT;
  v_from TEXT;
BEGIN
  IF p_once AND p_session <> '' THEN
    SELECT l.id INTO v_id FROM ledger l
     WHERE l.device = p_device AND l.session = p_session AND l.state = p_state AND l.refusal = 0 LIMIT 1;
  END IF;
  IF v_id IS NULL THEN
    -- A claim of the device (kda_claim) and this wait for each other.
    PERFORM 1 FROM devices d WHERE d.key = p_device FOR UPDATE;
    SELECT l.state INTO v_from FROM ledger l WHERE l.device = p_device AND l.refusal = 0 ORDER BY l.id DESC LIMIT 1;
    IF v_from IS NOT NULL AND NOT (v_from = ANY (p_allowed_from)) THEN
      RETURN QUERY SELECT NULL::BIGINT, v_from;
      RETURN;
    END IF;
    INSERT INTO ledger AS l (time_ms, device, state, transport, session, sas, reason, primary_id, refusal, count,
                             last_ms, event, profile, desk)
    VALUES (p_time_ms, p_device, p_state, p_transport, p_session, p_sas, p_reason, p_primary, 0, 1, p_time_ms, '',
            p_profile, p_desk)
    RETURNING l.id INTO v_id;
    UPDATE devices d SET state = p_state WHERE d.key = p_device AND (d.state IS NULL OR d.state <> p_state);
  END IF;
  IF p_release THEN
    DELETE FROM leases x WHERE x.device = p_device AND x.session = p_session;
  END IF;
  RETURN QUERY SELECT v_id, v_from;
END $$;

-- The devices a target's identity names; when it names exactly one, that
-- device's lease for the session (claimed: granted, lost: granted over an
-- expired lease whose attempt is now recorded Failed, held, provisioned,
-- not_approved; '' when none was claimed) and the lease found before.
CREATE FUNCTION kda_claim(p_imeis TEXT[], p_meid TEXT, p_serial TEXT, p_mac TEXT, p_desk_id TEXT, p_desk_name TEXT,
                          p_session TEXT, p_expires_ms BIGINT, p_now_ms BIGINT, p_lost_reason TEXT,
                          p_failed TEXT, p_failed_from TEXT[], p_provisioned TEXT, p_approved TEXT)
RETURNS TABLE (key TEXT, imei TEXT, imei2 TEXT, meid TEXT, serial TEXT, wifi_mac TEXT, user_id TEXT,
               password TEXT, profile TEXT, tags TEXT, source TEXT, approval TEXT, updated_ms BIGINT, state TEXT,
               claimed TEXT, holder_desk_id TEXT, holder_desk_name TEXT, holder_session TEXT,
               holder_expires_ms BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_keys TEXT[];  -- the devices the identity names, counted once
  v_key TEXT;
  v_state TEXT;
  v_approval TEXT;
  v_claimed TEXT := '';
  h leases%ROWTYPE;
BEGIN
  SELECT array_agg(d.key ORDER BY d.key) INTO v_keys FROM devices d
   WHERE d.imei = ANY (p_imeis) OR d.imei2 = ANY (p_imeis) OR (p_meid <> '' AND d.meid = upper(p_meid))
      OR (p_serial <> '' AND lower(d.serial) = lower(p_serial)) OR (p_mac <> '' AND d.wifi_mac = p_mac);
  IF cardinality(v_keys) = 1 THEN
    v_key := v_keys[1];
    -- Desks claiming one device wait for each other here, then see each
    -- other's lease.
    SELECT d.state, d.approval INTO v_state, v_approval FROM devices d WHERE d.key = v_key FOR UPDATE;
    IF FOUND THEN
      SELECT * INTO h FROM leases x WHERE x.device = v_key;
      IF h.device IS NOT NULL AND NOT (h.desk_id = p_desk_id AND h.session = p_session)
         AND h.expires_ms > p_now_ms THEN
        v_claimed := 'held';
      ELSIF v_state = p_provisioned THEN
        v_claimed := 'provisioned';
      ELSIF v_approval <> p_approved THEN
        v_claimed := 'not_approved';
      ELSE
        v_claimed := 'granted';
        IF h.device IS NOT NULL AND NOT (h.desk_id = p_desk_id AND h.session = p_session) THEN
          v_claimed := 'lost';
          PERFORM kda_record(p_now_ms, v_key, p_failed, 'kdad', h.session, '', format(p_lost_reason, h.desk_name),
                             h.desk_id, '', h.desk_name, p_failed_from, false, false);
        END IF;
        INSERT INTO leases AS x (device, desk_id, desk_name, session, expires_ms)
        VALUES (v_key, p_desk_id, p_desk_name, p_session, p_expires_ms)
        ON CONFLICT (device) DO UPDATE SET desk_id = excluded.desk_id, desk_name = excluded.desk_name,
                                           session = excluded.session, expires_ms = excluded.expires_ms;
      END IF;
    END IF;
  END IF;
  RETURN QUERY
    SELECT d.key, d.imei, d.imei2, d.meid, d.serial, d.wifi_mac, d.user_id, d.password, d.profile, d.tags,
           d.source, d.approval, d.updated_ms, d.state, v_claimed, h.desk_id, h.desk_name, h.session, h.expires_ms
      FROM devices d
     WHERE d.key = ANY (v_keys)  -- those counted, whatever came in since
     ORDER BY d.key;
END $$;
)sql";

// PostgreSQL's schema version 7: the same steps, each ledger row naming
// the customer of its device (SQLite's StateStore::insert), a device's
// history being its own customer's rows (kOwnHistory), and the claim's rows
// carrying the customer. Version 5's functions stay as they were released.
constexpr const char* kCustomerFunctions = R"sql(
DROP FUNCTION kda_claim(TEXT[], TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, BIGINT, BIGINT, TEXT, TEXT, TEXT[], TEXT, TEXT);
DROP FUNCTION kda_record(BIGINT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT[], BOOLEAN, BOOLEAN);

-- p_customer names the row's customer when the device is not in the
-- inventory; else the device's customer does.
CREATE FUNCTION kda_record(p_time_ms BIGINT, p_device TEXT, p_state TEXT, p_transport TEXT, p_session TEXT,
                           p_sas TEXT, p_reason TEXT, p_primary TEXT, p_profile TEXT, p_desk TEXT,
                           p_allowed_from TEXT[], p_once BOOLEAN, p_release BOOLEAN, p_customer TEXT)
RETURNS TABLE (id BIGINT, from_state TEXT, customer TEXT) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_id BIGINT;
  v_from TEXT;
  v_owner TEXT;     -- the device's customer, NULL when it is not in the inventory
  v_customer TEXT;  -- the row's
BEGIN
  IF p_once AND p_session <> '' THEN
    SELECT l.id, l.customer INTO v_id, v_customer FROM ledger l
     WHERE l.device = p_device AND l.session = p_session AND l.state = p_state AND l.refusal = 0 LIMIT 1;
  END IF;
  IF v_id IS NULL THEN
    -- A claim of the device (kda_claim) and this wait for each other.
    SELECT d.customer INTO v_owner FROM devices d WHERE d.key = p_device FOR UPDATE;
    SELECT l.state INTO v_from FROM ledger l
     WHERE l.device = p_device AND l.refusal = 0 AND l.customer = COALESCE(v_owner, l.customer)
     ORDER BY l.id DESC LIMIT 1;
    IF v_from IS NOT NULL AND NOT (v_from = ANY (p_allowed_from)) THEN
      RETURN QUERY SELECT NULL::BIGINT, v_from, NULL::TEXT;
      RETURN;
    END IF;
    v_customer := COALESCE(v_owner, p_customer);
    INSERT INTO ledger AS l (time_ms, device, state, transport, session, sas, reason, primary_id, refusal, count,
                             last_ms, event, profile, desk, customer)
    VALUES (p_time_ms, p_device, p_state, p_transport, p_session, p_sas, p_reason, p_primary, 0, 1, p_time_ms, '',
            p_profile, p_desk, v_customer)
    RETURNING l.id INTO v_id;
    UPDATE devices d SET state = p_state WHERE d.key = p_device AND (d.state IS NULL OR d.state <> p_state);
  END IF;
  IF p_release THEN
    DELETE FROM leases x WHERE x.device = p_device AND x.session = p_session;
  END IF;
  RETURN QUERY SELECT v_id, v_from, v_customer;
END $$;

CREATE FUNCTION kda_claim(p_imeis TEXT[], p_meid TEXT, p_serial TEXT, p_mac TEXT, p_desk_id TEXT, p_desk_name TEXT,
                          p_session TEXT, p_expires_ms BIGINT, p_now_ms BIGINT, p_lost_reason TEXT,
                          p_failed TEXT, p_failed_from TEXT[], p_provisioned TEXT, p_approved TEXT)
RETURNS TABLE (key TEXT, imei TEXT, imei2 TEXT, meid TEXT, serial TEXT, wifi_mac TEXT, user_id TEXT,
               password TEXT, profile TEXT, tags TEXT, source TEXT, approval TEXT, updated_ms BIGINT, state TEXT,
               customer TEXT, claimed TEXT, holder_desk_id TEXT, holder_desk_name TEXT, holder_session TEXT,
               holder_expires_ms BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_keys TEXT[];  -- the devices the identity names, counted once
  v_key TEXT;
  v_state TEXT;
  v_approval TEXT;
  v_claimed TEXT := '';
  h leases%ROWTYPE;
BEGIN
  SELECT array_agg(d.key ORDER BY d.key) INTO v_keys FROM devices d
   WHERE d.imei = ANY (p_imeis) OR d.imei2 = ANY (p_imeis) OR (p_meid <> '' AND d.meid = upper(p_meid))
      OR (p_serial <> '' AND lower(d.serial) = lower(p_serial)) OR (p_mac <> '' AND d.wifi_mac = p_mac);
  IF cardinality(v_keys) = 1 THEN
    v_key := v_keys[1];
    SELECT d.state, d.approval INTO v_state, v_approval FROM devices d WHERE d.key = v_key FOR UPDATE;
    IF FOUND THEN
      SELECT * INTO h FROM leases x WHERE x.device = v_key;
      IF h.device IS NOT NULL AND NOT (h.desk_id = p_desk_id AND h.session = p_session)
         AND h.expires_ms > p_now_ms THEN
        v_claimed := 'held';
      ELSIF v_state = p_provisioned THEN
        v_claimed := 'provisioned';
      ELSIF v_approval <> p_approved THEN
        v_claimed := 'not_approved';
      ELSE
        v_claimed := 'granted';
        IF h.device IS NOT NULL AND NOT (h.desk_id = p_desk_id AND h.session = p_session) THEN
          v_claimed := 'lost';
          PERFORM kda_record(p_now_ms, v_key, p_failed, 'kdad', h.session, '', format(p_lost_reason, h.desk_name),
                             h.desk_id, '', h.desk_name, p_failed_from, false, false, '');
        END IF;
        INSERT INTO leases AS x (device, desk_id, desk_name, session, expires_ms)
        VALUES (v_key, p_desk_id, p_desk_name, p_session, p_expires_ms)
        ON CONFLICT (device) DO UPDATE SET desk_id = excluded.desk_id, desk_name = excluded.desk_name,
                                           session = excluded.session, expires_ms = excluded.expires_ms;
      END IF;
    END IF;
  END IF;
  RETURN QUERY
    SELECT d.key, d.imei, d.imei2, d.meid, d.serial, d.wifi_mac, d.user_id, d.password, d.profile, d.tags,
           d.source, d.approval, d.updated_ms, d.state, d.customer, v_claimed, h.desk_id, h.desk_name, h.session,
           h.expires_ms
      FROM devices d
     WHERE d.key = ANY (v_keys)  -- those counted, whatever came in since
     ORDER BY d.key;
END $$;
)sql";

constexpr DeviceState kAllStates[] = {DeviceState::unassigned,   DeviceState::profile_assigned,
                                      DeviceState::provisioning, DeviceState::provisioned,
                                      DeviceState::failed,       DeviceState::cancelled,
                                      DeviceState::rejected};

// A text[] in PostgreSQL's array syntax: every element quoted, its quotes
// and backslashes escaped.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The states a device may go to `to` from, by transition_allowed.
std::string allowed_from(DeviceState to) {
  std::vector<std::string> from;
  for (DeviceState s : kAllStates)
    if (transition_allowed(s, to)) from.emplace_back(display_name(s));
  return text_array(from);
}

// format()'s template: '%' in a desk's name stands for itself.
std::string format_literal(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

LeaseClaim::Outcome claim_outcome(const std::string& claimed) {
  using Outcome = LeaseClaim::Outcome;
  if (claimed == "held") return Outcome::held;
  if (claimed == "provisioned") return Outcome::provisioned;
  if (claimed == "not_approved") return Outcome::not_approved;
  return Outcome::granted;  // granted, lost
}

}  // namespace

const char* postgresql_enrollment_functions() { return kEnrollmentFunctions; }

const char* postgresql_customer_functions() { return kCustomerFunctions; }

Result<LedgerEntry> StateStore::record_on_server(LedgerEntry entry, Recording how) {
  complete(entry);
  entry.refusal = false;
  entry.count = 1;
  entry.last_ms = entry.time_ms;
  return db_->single([&]() -> Result<LedgerEntry> {
    auto stmt = db_->cached(
        "SELECT id, from_state, customer FROM kda_record(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    if (!stmt) return tl::unexpected(stmt.error());
    Statement& call = **stmt;
    call.bind(1, entry.time_ms).bind(2, entry.device).bind(3, display_name(entry.state)).bind(4, entry.transport);
    call.bind(5, entry.session).bind(6, entry.sas).bind(7, entry.reason).bind(8, entry.primary);
    call.bind(9, entry.profile).bind(10, entry.desk).bind(11, allowed_from(entry.state));
    call.bind(12, how.once ? "true" : "false").bind(13, how.release ? "true" : "false").bind(14, entry.customer);
    auto row = call.step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return fail(StoreErrc::unavailable, where() + ": kda_record returned no row");
    const auto id = call.column_optional_text(0);
    const std::string from = call.column_text(1);
    const std::string customer = call.column_text(2);
    if (auto done = call.run(); !done) return tl::unexpected(done.error());
    if (!id)
      return fail(InventoryErrc::transition_not_allowed, "device " + entry.device + ": cannot go from " + from +
                                                             " to " + std::string(display_name(entry.state)));
    entry.id = std::stoll(*id);
    entry.customer = customer;
    written_.push_back(entry.id);
    return entry;
  });
}

Result<DeviceClaim> StateStore::claim_on_server(const v1::DeviceIdentity& identity, const Lease& wanted,
                                                std::int64_t now_ms) {
  std::vector<std::string> imeis;
  for (const auto& imei : identity.imei())
    if (!imei.empty()) imeis.push_back(imei);
  std::string mac = identity.wifi_mac();
  for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return db_->single([&]() -> Result<DeviceClaim> {
    auto stmt = db_->cached(
        "SELECT * FROM kda_claim(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    if (!stmt) return tl::unexpected(stmt.error());
    Statement& call = **stmt;
    call.bind(1, text_array(imeis)).bind(2, identity.meid()).bind(3, identity.serial()).bind(4, mac);
    call.bind(5, wanted.desk_id).bind(6, wanted.desk_name).bind(7, wanted.session).bind(8, wanted.expires_ms);
    call.bind(9, now_ms).bind(10, lost_desk_reason("%s", format_literal(wanted.desk_name)));
    call.bind(11, display_name(DeviceState::failed)).bind(12, allowed_from(DeviceState::failed));
    call.bind(13, display_name(DeviceState::provisioned)).bind(14, approval_name(Approval::approved));
    DeviceClaim out;
    std::string claimed;
    Lease before;
    for (;;) {
      auto row = call.step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      out.candidates.push_back(read_device(call));
      claimed = call.column_text(15);
      before = Lease{.device = out.candidates.back().key, .desk_id = call.column_text(16),
                     .desk_name = call.column_text(17), .session = call.column_text(18),
                     .expires_ms = call.column_int(19)};
    }
    if (claimed.empty()) return out;
    LeaseClaim lease{.outcome = claim_outcome(claimed)};
    if (lease.outcome == LeaseClaim::Outcome::held) lease.holder = before;
    if (claimed == "lost") lease.lost = before;
    out.lease = std::move(lease);
    return out;
  });
}

}  // namespace kda::daemon
