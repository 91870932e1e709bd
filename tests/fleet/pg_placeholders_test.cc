// The PostgreSQL engine's pure parts, no server needed: SQLite's ?N turned
// into $N outside strings, quoted identifiers and comments; SQLSTATEs as
// kda.store codes; where a connection string goes, never with a password.
#include "pg_placeholders.h"

#include <gtest/gtest.h>

#include <string>

#include "kda/daemon/errors.h"
#include "postgresql.h"

namespace kda::daemon {
namespace {

struct Vector {
  const char* sql;
  const char* text;
  int parameters;
};

TEST(PgPlaceholders, NumbersOutsideLiteralsIdentifiersAndComments) {
  const Vector vectors[] = {
      {"SELECT 1", "SELECT 1", 0},
      {"SELECT ?1", "SELECT $1", 1},
      {"WHERE a = ?2 AND b = ?10", "WHERE a = $2 AND b = $10", 10},
      {"?2 IS NULL OR time_ms >= ?2 LIMIT ?5", "$2 IS NULL OR time_ms >= $2 LIMIT $5", 5},
      {"x=?1,y=?01", "x=$1,y=$1", 1},
      {"col?1", "col $1", 1},
      {"'?1' || ?1", "'?1' || $1", 1},
      {"'it''s ?1' || ?2", "'it''s ?1' || $2", 2},
      {"\"odd?1\"\"name\" = ?1", "\"odd?1\"\"name\" = $1", 1},
      {"-- ?1 here\n?2", "-- ?1 here\n$2", 2},
      {"?1 -- ?2", "$1 -- ?2", 1},
      {"/* ?1 /* ?2 */ ?3 */ ?4", "/* ?1 /* ?2 */ ?3 */ $4", 4},
      {"E'\\' ?1' ?2", "E'\\' ?1' $2", 2},
      {"e'\\\\' ?1", "e'\\\\' $1", 1},
      {"ABE'x' ?1", "ABE'x' $1", 1},
      {"$$ ?1 $$ ?2", "$$ ?1 $$ $2", 2},
      {"$tag$ ?1 $x$ ?2 $tag$ ?3", "$tag$ ?1 $x$ ?2 $tag$ $3", 3},
      {"a$b$ ?1", "a$b$ $1", 1},
      {"$1 ?1", "$1 $1", 1},
      {"'unclosed ?1", "'unclosed ?1", 0},
      {"/* unclosed ?1", "/* unclosed ?1", 0},
      {"?65535", "$65535", 65535},
      {"sérial = ?1", "sérial = $1", 1},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.sql);
    auto pg = pg_placeholders(v.sql);
    ASSERT_TRUE(pg) << pg.error().message();
    EXPECT_EQ(pg->text, v.text);
    EXPECT_EQ(pg->parameters, v.parameters);
    EXPECT_EQ(pg->used.size(), static_cast<std::size_t>(v.parameters));
  }
}

TEST(PgPlaceholders, MarksTheNumbersTheSqlSkips) {
  auto pg = pg_placeholders("?3 = ?1 OR ?3 IS NULL");
  ASSERT_TRUE(pg);
  EXPECT_EQ(pg->used, (std::vector<bool>{true, false, true}));
}

TEST(PgPlaceholders, RefusesABareQuestionMarkZeroAndNumbersAboveTheLimit) {
  for (const char* sql : {"?", "a = ? AND b = ?1", "?a", "? 1", "?0", "?00", "?65536", "?99999999999999999999"}) {
    SCOPED_TRACE(sql);
    auto pg = pg_placeholders(sql);
    ASSERT_FALSE(pg);
    EXPECT_EQ(pg.error(), StoreErrc::unavailable);
    EXPECT_NE(pg.error().detail.find("offset"), std::string::npos) << pg.error().detail;
  }
}

TEST(PostgresqlError, MapsSqlstatesToStoreCodes) {
  const std::pair<const char*, StoreErrc> vectors[] = {
      {"53100", StoreErrc::full},        {"40001", StoreErrc::busy},         {"40P01", StoreErrc::busy},
      {"55P03", StoreErrc::busy},        {"25006", StoreErrc::read_only},    {"XX001", StoreErrc::corrupt},
      {"XX002", StoreErrc::corrupt},     {"08006", StoreErrc::unavailable},  {"57P01", StoreErrc::unavailable},
      {"23505", StoreErrc::unavailable}, {"", StoreErrc::unavailable},
  };
  for (const auto& [state, code] : vectors) {
    SCOPED_TRACE(state);
    const Error e = postgresql_error(state, "db: why");
    EXPECT_EQ(e, code);
    EXPECT_EQ(e.detail, "db: why");
  }
}

TEST(PostgresqlWhere, NamesHostsPortsAndDatabaseButNoPassword) {
  const std::pair<const char*, const char*> vectors[] = {
      {"postgresql://kda:s3cret@db1:5433,db2/fleet?target_session_attrs=read-write", "postgresql://db1:5433,db2/fleet"},
      {"postgres://db/fleet?password=s3cret&sslmode=require", "postgresql://db/fleet"},
      {"host=/run/kda port=5432 dbname=fleet user=kda password=s3cret", "postgresql:///run/kda:5432/fleet"},
      {"host=a,b port=1,2 dbname=fleet", "postgresql://a:1,b:2/fleet"},
      {"hostaddr=::1 port=5432 dbname=x passfile=/etc/kda/pgpass", "postgresql://[::1]:5432/x"},
      {"", "postgresql:///"},
  };
  for (const auto& [conninfo, where] : vectors) {
    SCOPED_TRACE(conninfo);
    auto got = postgresql_where(conninfo);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, where);
  }
}

TEST(PostgresqlWhere, SaysWhatIsWrongWithoutThePassword) {
  const std::pair<const char*, const char*> vectors[] = {
      {"host=db bogus=1 password=s3cret", "bogus"},
      {"host=db password=s3cret word", "missing \"=\""},
      {"postgresql://kda:s3cr%zzet@db/fleet", "percent-encoded"},
      {"postgresql://db/fleet?password=s3cr%zzet", "percent-encoded"},
      {"kdad.db", "kdad.db"},
      {"kdad.db password=.", "missing"},  // a password that what stands for it holds
  };
  for (const auto& [conninfo, names] : vectors) {
    SCOPED_TRACE(conninfo);
    auto got = postgresql_where(conninfo);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error(), ConfigErrc::bad_value);
    EXPECT_NE(got.error().detail.find(names), std::string::npos) << got.error().detail;
    EXPECT_EQ(got.error().detail.find("s3cr"), std::string::npos) << got.error().detail;
    EXPECT_EQ(got.error().detail.find("word"), std::string::npos) << got.error().detail;
  }
}

}  // namespace
}  // namespace kda::daemon
