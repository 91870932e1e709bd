// PostgreSQL's schema, one numbered migration per version (database.h); the
// one-row table kda_schema_version says where a database is. Forward only:
// a released version is never edited, a change is a new one. Version 1 is
// SQLite's final schema (schema_sqlite.cc, its versions 1 to 7) at once:
// the same tables, columns in the same order, defaults and indexes, in
// PostgreSQL's types. Where it differs, and why:
// - INTEGER is 64-bit in SQLite: BIGINT here (PostgreSQL's is 32-bit), as
//   time_ms, a ledger id and counts need.
// - ledger.id: SQLite's INTEGER PRIMARY KEY numbers rows by itself; an
//   identity column does here, and is never written by hand (ALWAYS).
// - Text is TEXT COLLATE "C": SQLite compares text byte by byte, so order
//   (listings, pages by key) and lower() (ASCII only, as SQLite's) are the
//   same whatever locale the database was created with.
// - devices.state is NULL until a device's first transition, as in SQLite
//   (the column was added by an ALTER there).
// - The serial is matched in any case through an index on lower(serial)
//   (SQLite's version 7), not COLLATE NOCASE, which is SQLite's alone.
#include "postgresql.h"

namespace kda::daemon {
namespace {

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE ledger (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_ms    BIGINT NOT NULL,
  device     TEXT COLLATE "C" NOT NULL,
  state      TEXT COLLATE "C" NOT NULL,
  transport  TEXT COLLATE "C" NOT NULL DEFAULT '',
  session    TEXT COLLATE "C" NOT NULL DEFAULT '',
  sas        TEXT COLLATE "C" NOT NULL DEFAULT '',
  reason     TEXT COLLATE "C" NOT NULL DEFAULT '',
  primary_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  refusal    BIGINT NOT NULL DEFAULT 0,
  count      BIGINT NOT NULL DEFAULT 1,
  last_ms    BIGINT NOT NULL DEFAULT 0,
  event      TEXT COLLATE "C" NOT NULL DEFAULT '',
  profile    TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX ledger_device ON ledger(device, id);
CREATE INDEX ledger_time ON ledger(time_ms);
-- Refused claims are no transitions: a device's latest state skips them.
CREATE INDEX ledger_transitions ON ledger(device, id) WHERE refusal = 0;

CREATE TABLE devices (
  key        TEXT COLLATE "C" PRIMARY KEY,
  imei       TEXT COLLATE "C" NOT NULL DEFAULT '',
  imei2      TEXT COLLATE "C" NOT NULL DEFAULT '',
  meid       TEXT COLLATE "C" NOT NULL DEFAULT '',
  serial     TEXT COLLATE "C" NOT NULL DEFAULT '',
  wifi_mac   TEXT COLLATE "C" NOT NULL DEFAULT '',
  user_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
  password   TEXT COLLATE "C" NOT NULL DEFAULT '',
  profile    TEXT COLLATE "C" NOT NULL DEFAULT '',
  tags       TEXT COLLATE "C" NOT NULL DEFAULT '',
  source     TEXT COLLATE "C" NOT NULL DEFAULT '',
  approval   TEXT COLLATE "C" NOT NULL,
  updated_ms BIGINT NOT NULL,
  state      TEXT COLLATE "C" NULL
);
-- Every identifier a claim is matched on has its index.
CREATE INDEX devices_imei ON devices(imei);
CREATE INDEX devices_imei2 ON devices(imei2);
CREATE INDEX devices_meid ON devices(meid);
CREATE INDEX devices_serial ON devices(serial);
CREATE INDEX devices_serial_lower ON devices(lower(serial));
CREATE INDEX devices_wifi_mac ON devices(wifi_mac);
-- Status, report and profile counts without reading a row.
CREATE INDEX devices_summary ON devices(approval, state, profile);
)sql";

// Desks sharing one inventory: each ledger row names the desk that wrote
// it besides its id, and a device being enrolled is leased to one desk's
// session at a time (store/leases.cc). SQLite's version 8.
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE ledger ADD COLUMN desk TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE TABLE leases (
  device     TEXT COLLATE "C" PRIMARY KEY,
  desk_id    TEXT COLLATE "C" NOT NULL,
  desk_name  TEXT COLLATE "C" NOT NULL,
  session    TEXT COLLATE "C" NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE INDEX leases_desk ON leases(desk_id);
)sql";

// The sessions under way at each desk, as the desks publish them
// (store/desk_sessions.cc): kdactl sessions --fleet. SQLite's version 9.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE desk_sessions (
  session    TEXT COLLATE "C" PRIMARY KEY,
  desk_id    TEXT COLLATE "C" NOT NULL,
  desk_name  TEXT COLLATE "C" NOT NULL,
  transport  TEXT COLLATE "C" NOT NULL,
  peer       TEXT COLLATE "C" NOT NULL,
  device     TEXT COLLATE "C" NOT NULL,
  state      TEXT COLLATE "C" NOT NULL,
  started_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE INDEX desk_sessions_desk ON desk_sessions(desk_id);
)sql";

// The profile catalog (store/catalog_tables.cc): the profiles the admin
// added, the default profile's name, the built-in profiles the admin
// deleted. SQLite's version 10.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE catalog_profiles (
  name       TEXT COLLATE "C" PRIMARY KEY,
  json       TEXT COLLATE "C" NOT NULL,
  updated_ms BIGINT NOT NULL,
  desk       TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE TABLE catalog_default (
  id         BIGINT PRIMARY KEY CHECK (id = 1),
  name       TEXT COLLATE "C" NOT NULL,
  updated_ms BIGINT NOT NULL,
  desk       TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE TABLE catalog_deleted (
  name       TEXT COLLATE "C" PRIMARY KEY,
  updated_ms BIGINT NOT NULL,
  desk       TEXT COLLATE "C" NOT NULL DEFAULT ''
);
)sql";

// Customers of an MSP and their resellers (store/customers.cc), and the
// customer each device, ledger row and catalog entry belongs to: '' for
// the rows there were. SQLite's version 11 (its comment says how the
// columns are kept); the catalog's keys change in place here.
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE customers (
  id                 TEXT COLLATE "C" PRIMARY KEY,
  company_name       TEXT COLLATE "C" NOT NULL,
  size               TEXT COLLATE "C" NOT NULL,
  industry           TEXT COLLATE "C" NOT NULL DEFAULT '',
  country            TEXT COLLATE "C" NOT NULL DEFAULT '',
  address            TEXT COLLATE "C" NOT NULL DEFAULT '',
  city               TEXT COLLATE "C" NOT NULL DEFAULT '',
  state              TEXT COLLATE "C" NOT NULL DEFAULT '',
  zip                TEXT COLLATE "C" NOT NULL DEFAULT '',
  website            TEXT COLLATE "C" NOT NULL DEFAULT '',
  contact_first_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  contact_last_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
  contact_email      TEXT COLLATE "C" NOT NULL DEFAULT '',
  contact_phone      TEXT COLLATE "C" NOT NULL DEFAULT '',
  contact_job_title  TEXT COLLATE "C" NOT NULL DEFAULT '',
  management         TEXT COLLATE "C" NOT NULL,
  status             TEXT COLLATE "C" NOT NULL,
  created_ms         BIGINT NOT NULL,
  modified_ms        BIGINT NOT NULL,
  msp_linked_ms      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX customers_company ON customers(company_name, id);
CREATE TABLE resellers (
  customer    TEXT COLLATE "C" NOT NULL,
  reseller_id TEXT COLLATE "C" NOT NULL,
  name        TEXT COLLATE "C" NOT NULL DEFAULT '',
  approval    TEXT COLLATE "C" NOT NULL,
  profile     TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_ms  BIGINT NOT NULL,
  PRIMARY KEY (customer, reseller_id)
);
CREATE INDEX resellers_reseller ON resellers(reseller_id);
ALTER TABLE devices ADD COLUMN customer TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX devices_customer ON devices(customer, key);
ALTER TABLE ledger ADD COLUMN customer TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX ledger_customer ON ledger(customer, id);
ALTER TABLE catalog_profiles ADD COLUMN customer TEXT COLLATE "C" NOT NULL DEFAULT '',
  DROP CONSTRAINT catalog_profiles_pkey, ADD PRIMARY KEY (customer, name);
ALTER TABLE catalog_default DROP COLUMN id,
  ADD COLUMN customer TEXT COLLATE "C" NOT NULL DEFAULT '', ADD PRIMARY KEY (customer);
ALTER TABLE catalog_deleted ADD COLUMN customer TEXT COLLATE "C" NOT NULL DEFAULT '',
  DROP CONSTRAINT catalog_deleted_pkey, ADD PRIMARY KEY (customer, name);
)sql";

// The HTTP API's bearer tokens (store/api_tokens.cc): SQLite's version 12.
constexpr const char* kSchemaV8 = R"sql(
CREATE TABLE api_tokens (
  id         TEXT COLLATE "C" PRIMARY KEY,
  name       TEXT COLLATE "C" NOT NULL,
  role       TEXT COLLATE "C" NOT NULL,
  customer   TEXT COLLATE "C",
  reseller   TEXT COLLATE "C" NOT NULL DEFAULT '',
  hash       TEXT COLLATE "C" NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL,
  created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  expires_ms BIGINT NOT NULL DEFAULT 0,
  revoked_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_created ON api_tokens(created_ms, id);
)sql";

// A device list's search by any identifier finds each through its index:
// the user id was the one without (SQLite's version 13).
constexpr const char* kSchemaV9 = R"sql(
CREATE INDEX devices_user_id ON devices(user_id);
)sql";

// Each desk as it publishes itself beside its sessions (store/desk_sessions.cc):
// SQLite's version 14.
constexpr const char* kSchemaV10 = R"sql(
CREATE TABLE fleet_desks (
  desk_id     TEXT COLLATE "C" PRIMARY KEY,
  desk_name   TEXT COLLATE "C" NOT NULL,
  started_ms  BIGINT NOT NULL,
  seen_ms     BIGINT NOT NULL,
  http_listen TEXT COLLATE "C" NOT NULL DEFAULT '',
  transports  TEXT COLLATE "C" NOT NULL DEFAULT ''
);
)sql";

// Version 5: an enrollment's steps as server functions (server_steps.cc);
// version 7: the same, each ledger row naming its device's customer.
const Migration kMigrations[] = {{1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4},
                                 {5, postgresql_enrollment_functions()}, {6, kSchemaV6},
                                 {7, postgresql_customer_functions()}, {8, kSchemaV8}, {9, kSchemaV9},
                                 {10, kSchemaV10}};

}  // namespace

std::span<const Migration> postgresql_migrations() { return kMigrations; }

}  // namespace kda::daemon
