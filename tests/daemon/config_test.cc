#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kda/core/radio.h"
#include "kda/daemon/config.h"
#include "kda/daemon/config_reload.h"

namespace kda::daemon {
namespace config_test {

std::string read(const std::string& name) {
  std::ifstream in(std::string(KDA_TESTDATA_DIR) + "/config/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<RadioConfig> radios = built_in_radio_configs();

std::string joined(const std::vector<Error>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.message() + "\n";
  return out;
}

TEST(Config, EmptyTextGivesEmbeddedDefaults) {
  auto c = parse_config("", "kdad.toml", radios);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->transports.at("tcp").enabled);
  EXPECT_EQ(c->transports.at("tcp").settings.at("listen"), "127.0.0.1:4711");
  EXPECT_EQ(c->transports.at("tcp").confirm, ConfirmPolicy::proximity);
  EXPECT_FALSE(c->transports.at("bluetooth").enabled);
  EXPECT_TRUE(c->state_dir.empty());
}

TEST(Config, ExampleConfigParsesToTheDefaults) {
  auto c = parse_config(example_config(radios), "example", radios);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->transports.at("tcp").settings.at("listen"), "127.0.0.1:4711");
  EXPECT_EQ(c->log_level, "info");
}

TEST(Config, MaxSessionsCapsTheDeskOrZeroTurnsItOff) {
  auto defaults = parse_config("", "k.toml", radios);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->limits.max_sessions, Limits{}.max_sessions);
  EXPECT_GT(defaults->limits.max_sessions, 0u);  // capped unless the admin says otherwise
  auto example = parse_config(example_config(radios), "example", radios);
  ASSERT_TRUE(example) << joined(example.error());
  EXPECT_EQ(example->limits.max_sessions, Limits{}.max_sessions);  // the example states the default
  auto five = parse_config("[limits]\nmax_sessions = 5\n", "k.toml", radios);
  ASSERT_TRUE(five) << joined(five.error());
  EXPECT_EQ(five->limits.max_sessions, 5u);
  auto off = parse_config("[limits]\nmax_sessions = 0\n", "k.toml", radios);
  ASSERT_TRUE(off) << joined(off.error());
  EXPECT_EQ(off->limits.max_sessions, 0u);
  auto negative = parse_config("[limits]\nmax_sessions = -1\n", "k.toml", radios);
  ASSERT_FALSE(negative);
  EXPECT_EQ(joined(negative.error()), "k.toml:2:16: limits.max_sessions: expected a whole number from 0 to 1000000\n");
  auto text = parse_config("[limits]\nmax_sessions = \"many\"\n", "k.toml", radios);
  ASSERT_FALSE(text);
  EXPECT_NE(joined(text.error()).find("limits.max_sessions: expected a whole number"), std::string::npos);
}

TEST(Config, FullFile) {
  auto c = parse_config(read("full.toml"), "full.toml", radios);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->name, "Desk 3, Berlin");
  EXPECT_EQ(c->transports.at("tcp").settings.at("listen"), "[::1]:4711");
  EXPECT_EQ(c->transports.at("tcp").confirm, ConfirmPolicy::admin);
  EXPECT_EQ(c->transports.at("tcp").confirm_timeout.count(), 60);
  EXPECT_TRUE(c->transports.at("nfc").enabled);
  EXPECT_EQ(c->transports.at("nfc").settings.at("connstring"), "pn532_uart:/dev/ttyUSB0");
  EXPECT_EQ(c->profile_dirs.size(), 2u);
  EXPECT_EQ(c->trusted_resellers.at(0), "reseller-42");
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  auto c = parse_config(read("typo.toml"), "typo.toml", radios);
  ASSERT_FALSE(c);
  EXPECT_EQ(joined(c.error()), "typo.toml:3:13: daemon.log_levle: unknown setting\n");
  EXPECT_EQ(c.error()[0].code, ConfigErrc::unknown_key);
}

TEST(Config, EveryBadValueIsReported) {
  auto c = parse_config(read("bad_values.toml"), "bad.toml", radios);
  ASSERT_FALSE(c);
  const auto text = joined(c.error());
  EXPECT_NE(text.find("bad.toml:2:10: transports.tcp.listen: expected HOST:PORT"), std::string::npos) << text;
  EXPECT_NE(text.find("bad.toml:3:11: transports.tcp.confirm: expected \"proximity\" or \"admin\""), std::string::npos)
      << text;
  EXPECT_NE(text.find("transports.tcp.confirm_timeout_s: expected whole seconds"), std::string::npos) << text;
}

TEST(Config, WifiDirectWpsIsPushButtonOrPin) {
  auto pbc = parse_config("[transports.wifidirect]\nwps = \"pbc\"\n", "k.toml", radios);
  ASSERT_TRUE(pbc) << joined(pbc.error());
  EXPECT_EQ(pbc->transports.at("wifidirect").settings.at("wps"), "pbc");
  auto pin = parse_config("[transports.wifidirect]\nwps = \"pin\"\n", "k.toml", radios);
  ASSERT_TRUE(pin) << joined(pin.error());
  EXPECT_EQ(pin->transports.at("wifidirect").settings.at("wps"), "pin");
  auto bad = parse_config("[transports.wifidirect]\nwps = \"nfc\"\n", "k.toml", radios);
  ASSERT_FALSE(bad);
  EXPECT_EQ(joined(bad.error()), "k.toml:2:7: transports.wifidirect.wps: expected \"pbc\" or \"pin\"\n");
  // Only Wi-Fi Direct has WPS.
  auto elsewhere = parse_config("[transports.bluetooth]\nwps = \"pin\"\n", "k.toml", radios);
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(joined(elsewhere.error()), "k.toml:2:7: transports.bluetooth.wps: unknown setting\n");
}

// The file installed as /etc/kdad/kdad.toml, and shown in docs/ADMIN.md 4.2,
// is what kdad's radios declare.
TEST(Config, InstalledExampleIsTheGeneratedOne) {
  std::ifstream in(std::string(KDA_SOURCE_DIR) + "/daemon/kdad.toml");
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(file.str(), example_config(radios));
}

TEST(Config, ExampleNamesEveryRadioTable) {
  const auto example = example_config(radios);
  for (const auto& radio : radios)
    if (!radio.keys.empty())
      EXPECT_NE(example.find("[transports." + std::string(radio.name) + "]"), std::string::npos) << radio.name;
}

// A radio key of the wrong type is one error, not also "expected pbc or pin".
TEST(Config, RadioKeyOfTheWrongTypeIsOneError) {
  auto c = parse_config("[transports.wifidirect]\nwps = 1\n", "k.toml", radios);
  ASSERT_FALSE(c);
  ASSERT_EQ(c.error().size(), 1u);
  EXPECT_NE(c.error()[0].message().find("transports.wifidirect.wps: expected a string"), std::string::npos)
      << c.error()[0].message();
}

TEST(Config, SyntaxErrorNamesThePlace) {
  auto c = parse_config(read("syntax.toml"), "syntax.toml", radios);
  ASSERT_FALSE(c);
  ASSERT_EQ(c.error().size(), 1u);
  EXPECT_EQ(c.error()[0].detail.rfind("syntax.toml:1:", 0), 0u) << c.error()[0].detail;
  EXPECT_EQ(c.error()[0].code, ConfigErrc::syntax);
}

TEST(Config, WrongTypes) {
  auto c = parse_config(read("wrong_types.toml"), "w.toml", radios);
  ASSERT_FALSE(c);
  const auto text = joined(c.error());
  EXPECT_NE(text.find("w.toml:2:8: daemon.name: expected a string"), std::string::npos) << text;
  for (const auto& e : c.error()) EXPECT_EQ(e.code, ConfigErrc::bad_value) << e.detail;
  EXPECT_NE(text.find("catalog.profile_dirs: expected a list of strings"), std::string::npos) << text;
}

// [store] url: the desk's own SQLite file unless the admin names another
// database.
TEST(ConfigStore, DefaultIsTheSqliteFileInTheStateDir) {
  auto c = parse_config("[daemon]\nstate_dir = \"/var/lib/kdad\"\n", "k.toml", radios);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_TRUE(c->store.url.empty());
  EXPECT_EQ(store_location(*c), "/var/lib/kdad/kdad.db");
  auto example = parse_config(example_config(radios), "example", radios);
  ASSERT_TRUE(example) << joined(example.error());
  EXPECT_TRUE(example->store.url.empty());  // the example states the default
  EXPECT_NE(example_config(radios).find("[store]"), std::string::npos);
}

TEST(ConfigStore, LeaseSecondsAreBounded) {
  auto c = parse_config("[store]\nlease_seconds = 5\n", "k.toml", radios);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->store.lease, std::chrono::seconds(5));
  EXPECT_EQ(parse_config("", "k.toml", radios)->store.lease, std::chrono::seconds(30));
  for (const char* bad : {"0", "2", "3601", "\"30\""}) {
    auto wrong = parse_config(std::string("[store]\nlease_seconds = ") + bad + "\n", "k.toml", radios);
    ASSERT_FALSE(wrong) << bad;
    EXPECT_EQ(joined(wrong.error()), "k.toml:2:17: store.lease_seconds: expected whole seconds from 3 to 3600\n") << bad;
  }
}

std::string store_error(const std::string& url) {
  auto c = parse_config("[store]\nurl = \"" + url + "\"\n", "k.toml", radios);
  return c ? std::string() : joined(c.error());
}

TEST(ConfigStore, TakesWhatLibpqConnectsWith) {
  const char* good[] = {
      "postgresql://kdad@db.example.com:5432/kda?sslmode=verify-full&passfile=/etc/kdad/pgpass",
      "postgres://kdad@db.example.com/kda",
      "postgresql:///kda?host=/run/postgresql",
      "host=db.example.com dbname=kda user=kdad passfile=/etc/kdad/pgpass sslmode=verify-full",
      "host = db.example.com  application_name = 'kda desk 3'",
      // A primary and its standby: libpq finds the one that takes writes.
      "postgresql://kdad@db1.example.com:5432,db2.example.com:5432/kda?target_session_attrs=read-write",
      "host=db1.example.com,db2.example.com port=5432,5433 dbname=kda target_session_attrs=read-write",
      "/srv/kda/kdad.db",
  };
  for (const char* url : good) {
    auto c = parse_config("[store]\nurl = \"" + std::string(url) + "\"\n", "k.toml", radios);
    ASSERT_TRUE(c) << url << ": " << joined(c.error());
    EXPECT_EQ(c->store.url, url);
    EXPECT_EQ(store_location(*c), url);
    EXPECT_EQ(check_store_url(url), "") << url;
  }
}

TEST(ConfigStore, LibpqSyntaxErrorsNameThePlace) {
  EXPECT_EQ(store_error("host=db dbname"),
            "k.toml:2:7: store.url: not a valid libpq connection string: missing \"=\" after \"dbname\" in "
            "connection info string\n");
  EXPECT_EQ(store_error("hots=db"),
            "k.toml:2:7: store.url: not a valid libpq connection string: invalid connection option \"hots\"\n");
  EXPECT_EQ(store_error("host='db"),
            "k.toml:2:7: store.url: not a valid libpq connection string: unterminated quoted string in connection "
            "info string\n");
  EXPECT_EQ(store_error("postgresql://db/kda?sslmod=require"),
            "k.toml:2:7: store.url: not a valid PostgreSQL URI: invalid URI query parameter: \"sslmod\"\n");
  EXPECT_EQ(store_error("kdad.db"),
            "k.toml:2:7: store.url: expected a postgresql:// URI, a libpq key=value connection string or the "
            "absolute path of a SQLite file\n");
  auto number = parse_config("[store]\nurl = 5\n", "k.toml", radios);
  ASSERT_FALSE(number);
  EXPECT_EQ(joined(number.error()), "k.toml:2:7: store.url: expected a string\n");
  auto typo = parse_config("[store]\nuri = 'host=db'\n", "k.toml", radios);
  ASSERT_FALSE(typo);
  EXPECT_EQ(joined(typo.error()), "k.toml:2:7: store.uri: unknown setting\n");
}

// The configuration is readable by all (0644) and shown in tickets: a
// password is refused, and the refusal never repeats it.
TEST(ConfigStore, PasswordIsRefusedForAPasswordFile) {
  const char* with_password[] = {
      "postgresql://kdad:s3cret@db.example.com/kda",
      "postgresql://kdad:s3cret@[db.example.com/kda",  // bad syntax too: libpq's error would quote it
      "postgresql://kdad@db.example.com/kda?password=s3cret",
      "postgresql://kdad@db.example.com/kda?sslmode=require&pass%77ord=s3cret",
      "host=db.example.com password=s3cret",
      "host=db.example.com password = 's3 cret' dbname=kda",
      "password=s3cret host=db.example.com dbname",
  };
  for (const char* url : with_password) {
    const auto error = store_error(url);
    EXPECT_EQ(error,
              "k.toml:2:7: store.url: holds a password; the configuration holds no secrets: put the password in a "
              "password file readable only by kdad's user (passfile=FILE in the url, or ~/.pgpass or PGPASSFILE)\n")
        << url;
    EXPECT_EQ(error.find("s3"), std::string::npos) << url;
  }
  const auto key = store_error("host=db.example.com sslkey=/etc/kdad/client.key sslpassword=s3cret");
  EXPECT_NE(key.find("store.url: holds the client key's passphrase (sslpassword)"), std::string::npos) << key;
  EXPECT_EQ(key.find("s3"), std::string::npos) << key;
  // Too broken to find the password in: libpq's quote of the text is left out.
  EXPECT_EQ(store_error("postgresql://%zz@kdad:s3cret@db.example.com/kda"),
            "k.toml:2:7: store.url: not a valid PostgreSQL URI: invalid percent-encoded token: \"...\" (quote left "
            "out: the url may hold a password)\n");
  // A password file, and a user without a password, are fine.
  EXPECT_EQ(check_store_url("postgresql://kdad@db.example.com/kda?passfile=/etc/kdad/pgpass"), "");
  EXPECT_EQ(check_store_url("postgresql://kdad:@db.example.com/kda"), "");
}

// [http]: off unless listen is set; plain HTTP only on loopback; a
// certificate comes with its key.
TEST(ConfigHttp, OffByDefaultAndEveryKeyRead) {
  auto none = parse_config("", "k.toml", radios);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->http.listen.empty());
  EXPECT_TRUE(none->http.tls);
  auto c = parse_config(
      "[http]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"/etc/kda/api.crt\"\nkey = \"/etc/kda/api.key\"\n"
      "max_connections = 64\nmax_body_mb = 4\nidle_seconds = 5\ntoken_failures_per_minute = 3\n",
      "k.toml", radios);
  ASSERT_TRUE(c) << joined(c.error());
  EXPECT_EQ(c->http.listen, "0.0.0.0:8443");
  EXPECT_EQ(c->http.certificate, "/etc/kda/api.crt");
  EXPECT_EQ(c->http.key, "/etc/kda/api.key");
  EXPECT_EQ(c->http.max_connections, 64u);
  EXPECT_EQ(c->http.max_body_mb, 4u);
  EXPECT_EQ(c->http.idle_seconds, 5u);
  EXPECT_EQ(c->http.token_failures_per_minute, 3u);
}

TEST(ConfigHttp, PlainHttpOnlyOnLoopback) {
  for (const char* listen : {"127.0.0.1:8080", "127.1.2.3:0", "[::1]:8080", "localhost:8080"}) {
    auto c = parse_config("[http]\nlisten = \"" + std::string(listen) + "\"\ntls = false\n", "k.toml", radios);
    ASSERT_TRUE(c) << listen << ": " << joined(c.error());
    EXPECT_FALSE(c->http.tls);
  }
  for (const char* listen : {"0.0.0.0:8080", "[::]:8080", "192.168.1.5:8080", "desk.example.com:8080"}) {
    auto c = parse_config("[http]\nlisten = \"" + std::string(listen) + "\"\ntls = false\n", "k.toml", radios);
    ASSERT_FALSE(c) << listen;
    EXPECT_EQ(joined(c.error()),
              "k.toml:3:7: http.tls: false only where listen is loopback (127.0.0.1, [::1], localhost)\n")
        << listen;
  }
}

TEST(ConfigHttp, BadValuesNameTheKey) {
  auto c = parse_config(
      "[http]\nlisten = \"8443\"\nmax_body_mb = 0\ncertificate = \"/etc/kda/api.crt\"\nport = 1\n", "k.toml",
      radios);
  ASSERT_FALSE(c);
  const auto text = joined(c.error());
  EXPECT_NE(text.find("k.toml:5:8: http.port: unknown setting"), std::string::npos) << text;
  EXPECT_NE(text.find("k.toml:3:15: http.max_body_mb: expected a whole number from 1 to 4096"), std::string::npos)
      << text;
  EXPECT_NE(text.find("k.toml:2:10: http.listen: expected HOST:PORT or [IPv6]:PORT"), std::string::npos) << text;
  EXPECT_NE(text.find("k.toml:4:15: http.key: missing: name both certificate and key"), std::string::npos) << text;
  auto table = parse_config("http = 1\n", "k.toml", radios);
  ASSERT_FALSE(table);
  EXPECT_EQ(joined(table.error()), "k.toml:1:8: http: expected a table\n");
}

// The listener is bound at start: a reload names [http] as needing a restart.
TEST(ConfigHttp, ReloadNeedsARestart) {
  auto running = parse_config("", "k.toml", radios);
  auto next = parse_config("[http]\nlisten = \"127.0.0.1:8443\"\n", "k.toml", radios);
  ASSERT_TRUE(running && next);
  const ConfigReload changes = apply_reload(*running, *next);
  EXPECT_EQ(changes.needs_restart, std::vector<std::string>{"http"});
  EXPECT_TRUE(changes.applied.empty());
}

TEST(ConfigHttp, LoopbackHosts) {
  EXPECT_TRUE(loopback_host("127.0.0.1"));
  EXPECT_TRUE(loopback_host("127.255.0.9"));
  EXPECT_TRUE(loopback_host("::1"));
  EXPECT_TRUE(loopback_host("localhost"));
  EXPECT_FALSE(loopback_host("128.0.0.1"));
  EXPECT_FALSE(loopback_host("::"));
  EXPECT_FALSE(loopback_host("::ffff:127.0.0.1"));
  EXPECT_FALSE(loopback_host("localhost.example.com"));
  EXPECT_FALSE(loopback_host(""));
}

}  // namespace
}  // namespace kda::daemon

