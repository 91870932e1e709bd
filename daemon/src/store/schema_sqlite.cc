// SQLite's schema, one numbered migration per version (database.h);
// PRAGMA user_version says where a file is. Forward only: a released
// version is never edited, a change is a new one.
#include "sqlite.h"

namespace kda::daemon {
namespace {

// Each schema version is the statements that bring a file from the one
// before to it; user_version says where a file is. Forward only.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS ledger (
  id        INTEGER PRIMARY KEY,
  time_ms   INTEGER NOT NULL,
  device    TEXT NOT NULL,
  state     TEXT NOT NULL,
  transport TEXT NOT NULL DEFAULT '',
  session   TEXT NOT NULL DEFAULT '',
  sas       TEXT NOT NULL DEFAULT '',
  reason    TEXT NOT NULL DEFAULT '',
  primary_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ledger_device ON ledger(device, id);
CREATE INDEX IF NOT EXISTS ledger_time ON ledger(time_ms);
CREATE TABLE IF NOT EXISTS devices (
  key        TEXT PRIMARY KEY,
  imei       TEXT NOT NULL DEFAULT '',
  imei2      TEXT NOT NULL DEFAULT '',
  meid       TEXT NOT NULL DEFAULT '',
  serial     TEXT NOT NULL DEFAULT '',
  wifi_mac   TEXT NOT NULL DEFAULT '',
  user_id    TEXT NOT NULL DEFAULT '',
  password   TEXT NOT NULL DEFAULT '',
  profile    TEXT NOT NULL DEFAULT '',
  tags       TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT '',
  approval   TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS devices_imei ON devices(imei);
CREATE INDEX IF NOT EXISTS devices_imei2 ON devices(imei2);
CREATE INDEX IF NOT EXISTS devices_meid ON devices(meid);
CREATE INDEX IF NOT EXISTS devices_serial ON devices(serial);
)sql";

// Refused claims: not transitions, and counted in one row when repeated.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE ledger ADD COLUMN refusal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE ledger ADD COLUMN last_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ledger_transitions ON ledger(device, id) WHERE refusal = 0;
)sql";

// A claim's serial is matched in any case, through an index.
constexpr const char* kSchemaV3 = R"sql(
CREATE INDEX devices_serial_nocase ON devices(serial COLLATE NOCASE);
)sql";

// A device's latest state is kept on its row (written with each transition)
// so that listings filter and count it through an index instead of asking
// the ledger for every device; the summary index answers status, report
// and profile counts without reading a row.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE devices ADD COLUMN state TEXT;
UPDATE devices SET state =
  (SELECT state FROM ledger WHERE ledger.device = devices.key AND refusal = 0 ORDER BY id DESC LIMIT 1);
CREATE INDEX devices_summary ON devices(approval, state, profile);
)sql";

// A claim may name a device by its Wi-Fi MAC alone: every identifier a
// claim is matched on has its index, or one claim reads every device.
constexpr const char* kSchemaV5 = R"sql(
CREATE INDEX devices_wifi_mac ON devices(wifi_mac);
)sql";

// Events that are no device's transition (a provisioning tag read by a phone
// the desk does not know yet): their kind, and the profile they concern.
constexpr const char* kSchemaV6 = R"sql(
ALTER TABLE ledger ADD COLUMN event TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger ADD COLUMN profile TEXT NOT NULL DEFAULT '';
)sql";

// The claim's serial is matched in any case as lower(serial) = lower(?), in
// SQL both engines share, through an expression index (COLLATE NOCASE is
// SQLite's alone).
constexpr const char* kSchemaV7 = R"sql(
DROP INDEX devices_serial_nocase;
CREATE INDEX devices_serial_lower ON devices(lower(serial));
)sql";

// Desks sharing one inventory (a fleet): each ledger row names the desk
// that wrote it besides its id (primary_id), and a device being enrolled is
// leased to one desk's session at a time (store/leases.cc).
constexpr const char* kSchemaV8 = R"sql(
ALTER TABLE ledger ADD COLUMN desk TEXT NOT NULL DEFAULT '';
CREATE TABLE leases (
  device     TEXT PRIMARY KEY,
  desk_id    TEXT NOT NULL,
  desk_name  TEXT NOT NULL,
  session    TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX leases_desk ON leases(desk_id);
)sql";

// The sessions under way at each desk, as the desks publish them
// (store/desk_sessions.cc): kdactl sessions --fleet.
constexpr const char* kSchemaV9 = R"sql(
CREATE TABLE desk_sessions (
  session    TEXT PRIMARY KEY,
  desk_id    TEXT NOT NULL,
  desk_name  TEXT NOT NULL,
  transport  TEXT NOT NULL,
  peer       TEXT NOT NULL,
  device     TEXT NOT NULL,
  state      TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX desk_sessions_desk ON desk_sessions(desk_id);
)sql";

// The profiles the admin added, the default profile's name and the
// built-in profiles the admin deleted, which were files in the state
// directory (store/catalog_tables.cc): every desk on one database serves
// the same catalog. Each row says when and at which desk it last changed.
constexpr const char* kSchemaV10 = R"sql(
CREATE TABLE catalog_profiles (
  name       TEXT PRIMARY KEY,
  json       TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  desk       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE catalog_default (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  name       TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  desk       TEXT NOT NULL DEFAULT ''
);
CREATE TABLE catalog_deleted (
  name       TEXT PRIMARY KEY,
  updated_ms INTEGER NOT NULL,
  desk       TEXT NOT NULL DEFAULT ''
);
)sql";

// Customers of an MSP (customer.h) and the resellers each registered
// (store/customers.cc), and each device, ledger row and catalog entry
// naming the customer it belongs to: '' (kDirectCustomer) for every row
// there was, so a direct desk goes on as before. A customer's address
// lines are one text joined by '\n'; its size, management and status, and
// a reseller's approval, are short codes (customers.cc converts them).
// SQLite changes no primary key in place: the catalog's tables are made
// again with their rows, keyed by customer, the column last as
// PostgreSQL's ALTER puts it.
constexpr const char* kSchemaV11 = R"sql(
CREATE TABLE customers (
  id                 TEXT PRIMARY KEY NOT NULL,
  company_name       TEXT NOT NULL,
  size               TEXT NOT NULL,
  industry           TEXT NOT NULL DEFAULT '',
  country            TEXT NOT NULL DEFAULT '',
  address            TEXT NOT NULL DEFAULT '',
  city               TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL DEFAULT '',
  zip                TEXT NOT NULL DEFAULT '',
  website            TEXT NOT NULL DEFAULT '',
  contact_first_name TEXT NOT NULL DEFAULT '',
  contact_last_name  TEXT NOT NULL DEFAULT '',
  contact_email      TEXT NOT NULL DEFAULT '',
  contact_phone      TEXT NOT NULL DEFAULT '',
  contact_job_title  TEXT NOT NULL DEFAULT '',
  management         TEXT NOT NULL,
  status             TEXT NOT NULL,
  created_ms         INTEGER NOT NULL,
  modified_ms        INTEGER NOT NULL,
  msp_linked_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customers_company ON customers(company_name, id);
CREATE TABLE resellers (
  customer    TEXT NOT NULL,
  reseller_id TEXT NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  approval    TEXT NOT NULL,
  profile     TEXT NOT NULL DEFAULT '',
  created_ms  INTEGER NOT NULL,
  PRIMARY KEY (customer, reseller_id)
);
CREATE INDEX resellers_reseller ON resellers(reseller_id);
ALTER TABLE devices ADD COLUMN customer TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_customer ON devices(customer, key);
ALTER TABLE ledger ADD COLUMN customer TEXT NOT NULL DEFAULT '';
CREATE INDEX ledger_customer ON ledger(customer, id);
CREATE TABLE catalog_profiles_new (
  name       TEXT NOT NULL,
  json       TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  desk       TEXT NOT NULL DEFAULT '',
  customer   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (customer, name)
);
INSERT INTO catalog_profiles_new (name, json, updated_ms, desk) SELECT name, json, updated_ms, desk FROM catalog_profiles;
DROP TABLE catalog_profiles;
ALTER TABLE catalog_profiles_new RENAME TO catalog_profiles;
CREATE TABLE catalog_default_new (
  name       TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  desk       TEXT NOT NULL DEFAULT '',
  customer   TEXT PRIMARY KEY NOT NULL DEFAULT ''
);
INSERT INTO catalog_default_new (name, updated_ms, desk) SELECT name, updated_ms, desk FROM catalog_default;
DROP TABLE catalog_default;
ALTER TABLE catalog_default_new RENAME TO catalog_default;
CREATE TABLE catalog_deleted_new (
  name       TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  desk       TEXT NOT NULL DEFAULT '',
  customer   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (customer, name)
);
INSERT INTO catalog_deleted_new (name, updated_ms, desk) SELECT name, updated_ms, desk FROM catalog_deleted;
DROP TABLE catalog_deleted;
ALTER TABLE catalog_deleted_new RENAME TO catalog_deleted;
)sql";

// The HTTP API's bearer tokens (store/api_tokens.cc): never a secret, only
// its SHA-256, looked up by it. customer is NULL for a token of every
// customer; expires_ms and revoked_ms are 0 for never and live.
constexpr const char* kSchemaV12 = R"sql(
CREATE TABLE api_tokens (
  id         TEXT PRIMARY KEY NOT NULL,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  customer   TEXT,
  reseller   TEXT NOT NULL DEFAULT '',
  hash       TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  expires_ms INTEGER NOT NULL DEFAULT 0,
  revoked_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_created ON api_tokens(created_ms, id);
)sql";

// A device list's search by any identifier (DeviceFilter::search) finds
// each through its index: the user id was the one without.
constexpr const char* kSchemaV13 = R"sql(
CREATE INDEX devices_user_id ON devices(user_id);
)sql";

// Each desk as it publishes itself beside its sessions (store/desk_sessions.cc):
// kdactl status's desks, idle desks included. PostgreSQL's version 10.
constexpr const char* kSchemaV14 = R"sql(
CREATE TABLE fleet_desks (
  desk_id     TEXT PRIMARY KEY NOT NULL,
  desk_name   TEXT NOT NULL,
  started_ms  INTEGER NOT NULL,
  seen_ms     INTEGER NOT NULL,
  http_listen TEXT NOT NULL DEFAULT '',
  transports  TEXT NOT NULL DEFAULT ''
);
)sql";

constexpr Migration kMigrations[] = {{1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4},
                                     {5, kSchemaV5}, {6, kSchemaV6}, {7, kSchemaV7}, {8, kSchemaV8},
                                     {9, kSchemaV9}, {10, kSchemaV10}, {11, kSchemaV11}, {12, kSchemaV12},
                                     {13, kSchemaV13}, {14, kSchemaV14}};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kMigrations; }

}  // namespace kda::daemon
