// kdad's durable state: the device inventory and the ledger of device state
// transitions, in a single desk's SQLite file (WAL) or in a fleet's
// PostgreSQL database that many desks share (the engines sit behind
// daemon/src/store/database.h). Single-threaded use per object;
// errors come back as kda::Error: a kda.store code when the file fails
// (StoreErrc::full: the disk is full), a kda.inventory code when the
// inventory's or the ledger's rules refuse, with the line for the admin.
// A session's change is one transaction.
// A bulk change (an import, a batch of keys) is checked whole first: a
// refused one changes nothing. It is then written in slices of at most
// kSliceDevices devices, each one transaction, so that a session waits at
// most one slice for its own write (see open_bulk_companion).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "kda/core/error.h"
#include "kda/daemon/api_token.h"
#include "kda/daemon/customer.h"
#include "kda/daemon/device.h"
#include "kda/daemon/device_state.h"
#include "kda/daemon/errors.h"
#include "kda/proto/kda.pb.h"

namespace kda::daemon {

struct LedgerEntry {
  std::int64_t id = 0;       // assigned by the store
  std::int64_t time_ms = 0;  // unix milliseconds; 0 = now
  std::string device;        // device key: IMEI, else MEID, else serial
  DeviceState state = DeviceState::unassigned;
  std::string transport;     // a radio's name (kda/core/radio.h) or "admin"
  std::string session;
  std::string sas;
  std::string reason;
  std::string primary;  // the id of the desk that wrote it (its primary key's)
  std::string desk;     // ... and its name ([daemon] name)
  // A refused claim is not a transition: it leaves the device's state alone,
  // and repeats of the same refusal count in one row (first seen is
  // time_ms, last seen last_ms).
  bool refusal = false;
  std::int64_t count = 1;
  std::int64_t last_ms = 0;
  // An event that is no device's transition (record_event): its kind, one
  // of the kEvent* names, and the profile it concerns; device is empty.
  std::string event;
  std::string profile;
  // The customer whose device (or profile, for an event) it concerns; the
  // store fills it in from the device's row.
  std::string customer = std::string(kDirectCustomer);
};

// The customers a caller reaches (roles.h's Caller::customers): nullopt is
// every customer. Listings and counts keep to it; a batch by key naming a
// device outside it is refused whole (AccessErrc::other_customer).
using CustomerScope = std::optional<std::vector<std::string>>;
inline bool in_scope(const CustomerScope& scope, std::string_view customer) {
  return !scope || std::find(scope->begin(), scope->end(), customer) != scope->end();
}

// A phone read the provisioning record of `profile` from the desk's NFC
// reader armed as a tag (kdactl nfc tag). The phone is not known yet.
inline constexpr std::string_view kEventProvisioningTagRead = "Provisioning tag read";
// A reseller's upload left devices waiting for the customer's approval
// (customer set; reason says how many, from which reseller and file).
inline constexpr std::string_view kEventUploadAwaitsApproval = "Upload awaits approval";

// A range of the ledger; its newest `limit` entries come back, oldest first.
struct LedgerQuery {
  std::optional<std::string> device;
  std::optional<std::int64_t> since_ms;  // time_ms >= since_ms
  std::optional<std::int64_t> until_ms;  // time_ms <= until_ms
  std::int64_t after_id = 0;             // id > after_id (a follower's cursor)
  std::optional<std::int64_t> up_to_id;  // id <= up_to_id
  std::size_t limit = 10'000;
  // The oldest `limit` entries after after_id instead of the newest (the
  // pages of a long listing); omitted is then not counted.
  bool oldest_first = false;
  std::optional<std::int64_t> before_id;  // id < before_id (a newest-first page's cursor)
  // The newest `limit` entries, newest first (the HTTP API's pages walking
  // back); omitted is then not counted.
  bool newest_first = false;
  CustomerScope customers;  // only these customers' rows (nullopt: everyone's)
};

// Where a paged ledger listing of a range's newest `limit` entries starts.
struct LedgerStart {
  std::int64_t after_id = 0;  // list the entries after this one...
  std::int64_t up_to_id = 0;  // ...up to this one (the newest when asked)
  std::size_t omitted = 0;    // older entries in the range left out
};

struct LedgerPage {
  std::vector<LedgerEntry> entries;  // oldest first
  std::size_t omitted = 0;           // older entries in the range beyond the limit
};

enum class Approval { pending, approved, rejected };
std::string_view approval_name(Approval a);

struct InventoryDevice {
  Device device;
  std::string key;  // device_key(device).value: IMEI, else MEID, else serial
  Approval approval = Approval::pending;
  DeviceState state = DeviceState::unassigned;  // latest ledger state
  std::int64_t updated_ms = 0;
  std::string customer = std::string(kDirectCustomer);  // the one customer it belongs to
};

struct ImportOptions {
  std::string source;            // upload source; empty keeps a known device's
  bool trusted = false;          // new devices are approved at once
  bool replace = false;          // whole records: columns the file lacks are cleared
  bool dry_run = false;          // work it all out, then change nothing
  bool ignore_unknown_columns = false;
  std::string actor = "admin";   // who imports, for the ledger
  // A reseller's upload: a known device whose source is not `source` is
  // refused (AccessErrc::role_forbids): it changes only its own uploads.
  bool own_uploads_only = false;
  // A trusted upload's rows name the importer too (a desk that grants
  // roles: "uploaded by trusted reseller R2, imported by rita as reseller").
  bool name_importer = false;
  std::string file = "upload";   // names the upload in the ledger
  // May refuse a device (e.g. a profile the catalog lacks).
  std::function<Result<void>(const Device&)> check;
  // Whose devices these are: new ones belong to it; a row naming a device
  // of another customer is refused (CustomerErrc::owned_elsewhere, the
  // line does not say whose).
  std::string customer = std::string(kDirectCustomer);
  // A profile for the devices a row names none for (a reseller's
  // registration may name one, kdactl resellers add --profile).
  std::string profile;
};

// A device an import adds or changes.
struct DeviceChange {
  std::string key;
  bool added = false;
  std::vector<std::string> fields;  // describe_changes() of an update
};

struct ImportSummary {
  std::size_t added = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;        // known devices the file left as they were
  std::size_t approved = 0;         // added devices approved at once (trusted source)
  std::size_t profile_changes = 0;  // each one recorded in the ledger
  std::vector<std::string> ignored_columns;
  std::vector<DeviceChange> changes;  // on a dry run: every device added or updated
};

// A refused import keeps every line (an upload has many independent
// errors) beside one code: why the first listed line refused it
// (InventoryErrc::invalid_upload, duplicate_identifier, ...; a kda.store
// code when writing failed).
struct ImportRefusal {
  std::error_code code;
  std::vector<std::string> errors;  // at most kMaxDeviceCsvErrors, file order
  std::size_t total = 0;            // every error, listed or not
  // A write that failed part-way (a full disk): the devices of the slices
  // before it, which stay written. 0: nothing changed.
  std::size_t written = 0;
};

struct DeviceFilter {
  std::optional<Approval> approval;
  std::optional<std::string> profile;  // "" = unassigned (default profile)
  std::optional<DeviceState> state;
  CustomerScope customers;
  std::optional<std::string> source;  // a reseller's own uploads
  // Devices carrying exactly this tag ("": devices without tags).
  std::optional<std::string> tag;
  // Any identifier, exact: the key, an IMEI, the MEID or the serial (those
  // two in any case), the Wi-Fi MAC (any case, ':' or '-'), the user id.
  std::optional<std::string> search;
};

// Counted by SQL, never by loading devices (status, report, profile list).
struct InventoryCounts {
  std::size_t devices = 0;
  std::size_t pending = 0;                      // waiting for approval
  std::map<DeviceState, std::size_t> states;    // devices not pending, by state
  std::map<std::string, std::size_t> profiles;  // by own profile ("" = none: the default applies)
};

// Devices a bulk change writes per transaction; a slice also ends as soon
// as a session waits to write.
inline constexpr std::size_t kSliceDevices = 5000;

// A desk's hold on a device while one of its sessions enrolls it: desks
// that share a fleet's database enroll a device one session at a time. The
// desk renews it while the session lives; a desk that stops (killed, cut
// off) leaves a lease that expires, and the next claim records that
// attempt Failed before it goes on.
struct Lease {
  std::string device;     // the device's key
  std::string desk_id;    // LedgerEntry::primary
  std::string desk_name;  // LedgerEntry::desk
  std::string session;
  std::int64_t expires_ms = 0;
};

struct LeaseClaim {
  enum class Outcome {
    granted,
    held,          // a live lease of another session: `holder`
    provisioned,   // the device was provisioned meanwhile
    not_approved,  // its approval was withdrawn meanwhile
    unknown,       // it left the inventory meanwhile
  };
  Outcome outcome = Outcome::granted;
  Lease holder;
  // Granted over an expired lease: that attempt, now recorded Failed.
  std::optional<Lease> lost;
};

// StateStore::claim_device's answer.
struct DeviceClaim {
  std::vector<InventoryDevice> candidates;
  // For candidates.front(), when it is the only one.
  std::optional<LeaseClaim> lease;
};

// A session under way at a desk, as the desk publishes it for the fleet
// (kdactl sessions --fleet). No SAS code: it is for the desk's admin only.
struct DeskSession {
  std::string session;
  std::string desk_id;
  std::string desk_name;
  std::string transport;
  std::string peer;
  std::string device;  // the key, or what the target claims until it is known
  std::string state;   // as kdactl sessions says it ("enrolling", ...)
  std::int64_t started_ms = 0;
  std::int64_t updated_ms = 0;  // when the desk last published it
};

// A desk of a fleet as it publishes itself each round beside its sessions
// (kdactl status's desks): who it is, since when, what it listens on.
struct DeskPresence {
  std::string desk_id;  // the primary id
  std::string desk_name;
  std::int64_t started_ms = 0;
  std::int64_t seen_ms = 0;  // when the desk last published itself
  std::string http_listen;   // its HTTP API's host:port, or ""
  std::string transports;    // its transports as the desk encodes them (JSON), opaque to the store
};

class Database;

// Where a database's schema is, for kdad --check-config.
struct SchemaStatus {
  std::string engine;  // "SQLite" or "PostgreSQL"
  std::string where;   // the file, or the server and database (no password)
  int version = 0;     // 0: an empty database
  int known = 0;       // the newest version this kdad knows
};

class StateStore {
 public:
  // `location` is a SQLite file's path, or a PostgreSQL server as a libpq
  // connection URI (postgresql://...) or key=value string ([store] url).
  // Brings the schema up to date first (refused when it is newer than this
  // kdad knows: StoreErrc::schema_too_new, the line names both versions).
  static Result<std::unique_ptr<StateStore>> open(const std::string& location);
  // Reads the schema version without changing anything.
  static Result<SchemaStatus> schema_status(const std::string& location);
  int schema_version() const { return schema_; }
  // "SQLite" or "PostgreSQL", and where (the file; the server and database).
  std::string engine() const;
  std::string where() const;
  // Whether other desks may share it (a PostgreSQL server; a SQLite file
  // is one desk's).
  bool shared() const;
  // Requests this connection has sent to a server and waited for (0 on
  // SQLite, which runs in-process). Any thread may ask.
  std::uint64_t round_trips() const;
  // The desk this store writes for: a ledger entry that names no desk (an
  // import, an admin's batch) gets its id (LedgerEntry::primary) and name.
  // Bulk companions opened afterwards write for the same desk.
  void set_desk(std::string id, std::string name) {
    desk_id_ = std::move(id);
    desk_name_ = std::move(name);
  }
  // A second connection to the same database, for a thread of its own (kdad's
  // store worker, which does the admin's bulk work). The two take turns to
  // write, this store first: the companion writes in slices and lets this
  // one in between any two of them. Checkpoints become the companion's.
  Result<std::unique_ptr<StateStore>> open_bulk_companion();
  ~StateStore();

  // Appends a transition, durable when this returns. Refused when the
  // device's current state does not allow it (transition_allowed): e.g.
  // Provisioned without Provisioning.
  Result<LedgerEntry> record(LedgerEntry entry);
  // A session's outcome: record(), and the session's lease on the device
  // given back in the same transaction (one round trip on PostgreSQL).
  Result<LedgerEntry> record_outcome(LedgerEntry entry);
  // record_outcome(), unless the ledger already holds this session's entry
  // of this state for the device (written before a connection broke and
  // kept in the outbox anyway): then that one. Idempotent by session and
  // state.
  Result<LedgerEntry> record_once(LedgerEntry entry);
  // Records a refused claim (entry.refusal is set here): when the device's
  // latest row is a refusal with the same reason and transport, that row's
  // count and last_ms go up instead of a new row being added.
  Result<LedgerEntry> record_refusal(LedgerEntry entry);
  // Records an event (entry.event set, entry.device empty): no device's
  // state changes. It names entry.customer as given.
  Result<LedgerEntry> record_event(LedgerEntry entry);
  // The device's latest state (refusals aside), if it has any ledger entry.
  Result<std::optional<DeviceState>> current_state(const std::string& device);
  // The newest query.limit entries of the range, oldest first (newest
  // first with query.newest_first).
  Result<std::vector<LedgerEntry>> ledger(const LedgerQuery& query);
  // The same, with the count of older entries left out.
  Result<LedgerPage> ledger_page(const LedgerQuery& query);
  // For a listing in pages: where the range's newest query.limit entries
  // begin; then ledger_page with oldest_first from there.
  Result<LedgerStart> ledger_start(const LedgerQuery& query);
  // Runs once the transaction that added a ledger row or counted a refusal
  // again has committed, with the row's id (on this store's thread).
  void on_ledger_write(std::function<void(std::int64_t id)> observer) { ledger_observer_ = std::move(observer); }
  // "ok" or SQLite's report.
  Result<std::string> integrity_check();

  // --- Leases (leases.cc) ---
  // Claims `wanted.device` for `wanted.session` until wanted.expires_ms,
  // checking under the device row's lock that it is still approved and not
  // provisioned. A session's own lease is renewed.
  Result<LeaseClaim> claim_lease(const Lease& wanted, std::int64_t now_ms);
  // A target's claim in one step (one round trip on PostgreSQL): the
  // devices its identity names (claim_candidates) and, when it names
  // exactly one, claim_lease for that device (wanted.device is ignored).
  Result<DeviceClaim> claim_device(const v1::DeviceIdentity& identity, const Lease& wanted, std::int64_t now_ms);
  // Moves the leases of these (device, session) pairs to `expires_ms`, in
  // one transaction; returns how many were still held.
  Result<std::size_t> renew_leases(const std::vector<Lease>& leases, std::int64_t expires_ms);
  Result<void> release_lease(const std::string& device, const std::string& session);
  // A desk starting: the devices left Provisioning by a transfer that never
  // ended, except those another desk's live lease covers (its transfer goes
  // on); and the desk's own leases, which died with its sessions, go.
  Result<std::vector<InventoryDevice>> interrupted_transfers(const std::string& desk_id, std::int64_t now_ms);
  Result<std::vector<Lease>> leases();

  // --- Desks' live sessions (desk_sessions.cc) ---
  // Replaces what `desk_id` published before with `sessions`, in one
  // transaction.
  Result<void> publish_sessions(const std::string& desk_id, const std::vector<DeskSession>& sessions);
  // Every desk's sessions published at or after `fresh_since_ms` (a desk
  // that stopped publishing drops out), by desk name then start.
  Result<std::vector<DeskSession>> fleet_sessions(std::int64_t fresh_since_ms);
  // Replaces what `desk.desk_id` published of itself before.
  Result<void> publish_desk(const DeskPresence& desk);
  // A desk stopping cleanly: its row and its sessions go at once.
  Result<void> withdraw_desk(const std::string& desk_id);
  // Every desk that published itself at or after `fresh_since_ms`, by name.
  Result<std::vector<DeskPresence>> fleet_desks(std::int64_t fresh_since_ms);

  // --- Inventory (inventory.cc; the batches by key: batches.cc) ---
  // Parses and stores a CSV upload, all or nothing. New devices are pending
  // unless trusted; known ones keep their approval and change only in the
  // columns the file carries (all of them with `replace`). A profile change
  // of an approved device is recorded in the ledger, as by assign().
  tl::expected<ImportSummary, ImportRefusal> import_devices(std::string_view csv, const ImportOptions& options);
  // Every device sharing an identifier with the claim (IMEIs, MEID, serial
  // in any case, Wi-Fi MAC); match_claim() decides which one it names.
  Result<std::vector<InventoryDevice>> claim_candidates(const v1::DeviceIdentity& claim);
  // Re-arms finished devices (Provisioned, Failed, Cancelled, Rejected) so
  // they may get a package again: each goes back to its resting state, with
  // a ledger entry naming `actor`. All keys must exist (and be within
  // `scope`, as for the batches below); returns how many changed.
  Result<std::size_t> rearm(const std::vector<std::string>& keys, const std::string& actor,
                            const CustomerScope& scope = std::nullopt);
  // By key, or by any IMEI, the MEID or the serial (serial and MEID in any case).
  Result<std::optional<InventoryDevice>> device(const std::string& key);
  Result<std::vector<InventoryDevice>> devices(const DeviceFilter& filter = {});
  // A listing's page: up to `limit` devices the filter matches with keys
  // after `after_key`, in key order. device() above is not scoped: its
  // caller checks the device's customer.
  Result<std::vector<InventoryDevice>> devices_page(const DeviceFilter& filter, const std::string& after_key,
                                                    std::size_t limit);
  // The keys of every device the filter matches (a batch by filter).
  Result<std::vector<std::string>> keys(const DeviceFilter& filter);
  Result<InventoryCounts> counts(const CustomerScope& scope = std::nullopt);
  // Gives the WAL's space back after a large write (a truncating checkpoint).
  void shrink_journal();
  // Copies the WAL into the database without blocking anyone. A store with a
  // bulk companion leaves this to the companion, which should call it now
  // and then (kdad's store worker: every second and after each slice).
  void checkpoint();
  // Batches by key: every key must exist, or nothing changes (the error
  // names every unknown key). They return how many devices the keys name: a
  // device named twice counts once. `actor` names who, in the ledger. A key
  // naming a device outside `scope` refuses the batch whole
  // (AccessErrc::other_customer, the line names the key as given);
  // move_profile moves only the scope's devices.
  Result<std::size_t> set_approval(const std::vector<std::string>& keys, Approval approval,
                                   const std::string& actor = "admin", const CustomerScope& scope = std::nullopt);
  Result<std::size_t> assign(const std::vector<std::string>& keys, const std::string& profile,
                             const std::string& actor = "admin", const CustomerScope& scope = std::nullopt);
  Result<std::size_t> move_profile(const std::string& from, const std::string& to,
                                   const std::string& actor = "admin", const CustomerScope& scope = std::nullopt);
  Result<std::size_t> remove(const std::vector<std::string>& keys, const CustomerScope& scope = std::nullopt);
  // The whole inventory at once (kdad's export goes by devices_page).
  Result<std::string> export_csv();

  // --- Customers and resellers (customers.cc; the rules: customer.h) ---
  // Refused with CustomerErrc::customer_exists when the id is taken.
  Result<void> add_customer(const Customer& customer);
  Result<std::optional<Customer>> customer(const std::string& id);
  // Every customer, by company name then id.
  Result<std::vector<Customer>> customers();
  // A lifecycle step: reads the customer under its row's lock, asks
  // `change` (a rule of customer.h) and writes what it returns, in one
  // transaction, so two desks' changes never cross. unknown_customer when
  // no row has the id; `change`'s refusal changes nothing.
  using CustomerChange = std::function<Result<Customer>(const Customer&)>;
  Result<Customer> change_customer(const std::string& id, const CustomerChange& change);
  // Devices per customer id (kDirectCustomer included when it has any).
  Result<std::map<std::string, std::size_t>> devices_per_customer();
  // reseller_exists when the customer registered that id already.
  Result<void> add_reseller(const Reseller& reseller);
  // One customer's resellers, or (nullopt) every customer's; by customer
  // then reseller id.
  Result<std::vector<Reseller>> resellers(const std::optional<std::string>& customer);
  // The customer's registration of reseller_id: unknown_reseller when none.
  Result<Reseller> reseller(const std::string& customer, const std::string& reseller_id);
  Result<void> remove_reseller(const std::string& customer, const std::string& reseller_id);
  Result<void> set_reseller_approval(const std::string& customer, const std::string& reseller_id,
                                     ApprovalMethod approval);

  // --- The HTTP API's tokens (api_tokens.cc; docs/API.md) ---
  // Never a secret: TokenRecord::hash is its SHA-256. Refused with
  // invalid_identifier when the id or the hash is taken (a new random one is
  // then drawn by the caller).
  Result<void> add_token(const TokenRecord& token);
  // Every token (revoked and expired ones too), or only those of `scope`'s
  // customers (a token for every customer is in no customer's scope); by
  // creation, oldest first.
  Result<std::vector<TokenRecord>> tokens(const CustomerScope& scope = std::nullopt);
  Result<std::optional<TokenRecord>> token_by_hash(const std::string& hash);
  Result<std::optional<TokenRecord>> token(const std::string& id);
  // Sets revoked_ms; false when no token has that id or it was revoked already.
  Result<bool> revoke_token(const std::string& id, std::int64_t now_ms);

 private:
  StateStore(std::unique_ptr<Database> db, std::string location, int schema);
  Result<std::vector<InventoryDevice>> select_devices(const std::string& where,
                                                      const std::vector<std::string>& args,
                                                      const std::string& tail = "");
  Result<std::vector<InventoryDevice>> known_devices(const Device& row);
  struct ImportPlan;  // inventory.cc
  bool plan_import_line(ImportPlan& plan, std::size_t line, const ImportOptions& options);
  // A batch by key: resolves every key (all must exist), checks each device
  // (any error refuses the batch), then applies the change in slices, each
  // device re-read and checked again in its slice. Returns how many devices
  // the keys named.
  using DeviceCheck = std::function<Result<void>(const InventoryDevice&)>;
  Result<std::size_t> batch(const std::vector<std::string>& keys, const DeviceCheck& check,
                            const DeviceCheck& apply, const CustomerScope& scope);
  Result<LedgerEntry> record_in_transaction(LedgerEntry entry);
  Result<LeaseClaim> claim_lease_in_transaction(const Lease& wanted, std::int64_t now_ms);
  Result<void> drop_lease(const std::string& device, const std::string& session);
  // How a transition is written (record, record_outcome, record_once).
  struct Recording {
    bool once = false;     // unless this session's entry of this state is there
    bool release = false;  // and the session's lease goes
  };
  Result<LedgerEntry> record_with(LedgerEntry entry, Recording how);
  // The same as server functions, one round trip each (store/server_steps.cc).
  Result<LedgerEntry> record_on_server(LedgerEntry entry, Recording how);
  Result<DeviceClaim> claim_on_server(const v1::DeviceIdentity& identity, const Lease& wanted, std::int64_t now_ms);
  // The ledger entry's defaults this store fills in (time, desk).
  void complete(LedgerEntry& entry) const;
  Result<LedgerEntry> count_refusal(LedgerEntry entry);
  Result<LedgerEntry> insert(LedgerEntry entry);
  std::unique_ptr<Database> db_;
  std::string location_;
  int schema_ = 0;
  std::string desk_id_;
  std::string desk_name_;
  std::function<void(std::int64_t)> ledger_observer_;
  std::vector<std::int64_t> written_;  // ledger rows of the open transaction, for the observer
};

}  // namespace kda::daemon
