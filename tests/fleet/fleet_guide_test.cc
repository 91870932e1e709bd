// docs/FLEET.md walked as written, on a throw-away PostgreSQL cluster with
// TLS and password authentication (label fleet), the way docs.admin_guide
// replays docs/ADMIN.md: the guide's blocks are read in document order and
//   - ```sql blocks run through psql as the postgres superuser;
//   - the postgresql.conf block is applied with ALTER SYSTEM (the
//     certificate files: this test's, made by openssl for 127.0.0.1 and
//     127.0.0.2; listen_addresses stays the cluster's loopback);
//   - the pg_hba.conf block goes first in the cluster's pg_hba.conf, its
//     network being loopback, followed by a line that rejects the two roles
//     over TCP without TLS (so that the guide's URLs are the only way in);
//   - each password file is written (mode 0600), and its passwords given to
//     the roles;
//   - each kdad.toml the guide shows is written;
//   - a block whose first line is `$ COMMAND` is a transcript: each command
//     runs, and what it prints (stdout and stderr) must be the lines after
//     it, after times, schema version numbers and desk ids are made alike;
//     a `...` line stands for any number of lines.
// The guide's hosts, db1.example.com:5432 and db2.example.com:5432, are
// 127.0.0.1 and 127.0.0.2 on the cluster's port, where nothing listens on
// the second: the desks' multi-host URL takes the first. Its paths
// (/etc/kdad, /var/lib/kdad, the server's /etc/postgresql/15/main) are
// directories of this test. The single desk the guide moves in is made
// first: a kdad on SQLite with three devices, approved, one assigned, and
// a profile the admin added (examples/profiles/corporate-eap.json).
// `sudo systemctl start|stop kdad` starts or stops the desk's kdad;
// `sudo -u postgres CMD` runs CMD as the superuser over the cluster's socket.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <utility>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/desk.h"
#include "daemon/run_command.h"
#include "support/pg_cluster.h"
#include "support/temp_dir.h"

namespace kda::test {
namespace {

// A fenced block of the guide and the paragraph just before it.
struct Block {
  std::string lang;
  std::vector<std::string> lines;
  std::string paragraph;
  int line = 0;  // of its first line in the guide
};

std::vector<Block> read_guide(const std::string& path) {
  std::ifstream in(path);
  std::vector<Block> blocks;
  std::string line, paragraph;
  bool ended = false;  // a blank line ended the paragraph: the next line starts one
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("```", 0) != 0) {
      if (line.empty()) ended = true;
      else paragraph = (std::exchange(ended, false) ? "" : paragraph + " ") + line;
      continue;
    }
    Block b{.lang = line.substr(3), .paragraph = paragraph, .line = n + 1};
    while (std::getline(in, line) && ++n && line.rfind("```", 0) != 0) b.lines.push_back(line);
    blocks.push_back(std::move(b));
    paragraph.clear();
    ended = false;
  }
  return blocks;
}

// Commands the guide shows that this test does not run, and why.
const std::map<std::string, std::string> kNotRun = {
    {"sudo systemctl stop postgresql", "section 8's standby: failover_fleet_test.cc builds one"},
    {"sudo -u postgres rm -rf /var/lib/postgresql/15/main", "section 8's standby"},
    {"sudo -u postgres pg_basebackup --host=db1.example.com --username=replicator "
     "--pgdata=/var/lib/postgresql/15/main --wal-method=stream --write-recovery-conf --checkpoint=fast",
     "section 8's standby"},
    {"sudo systemctl start postgresql", "section 8's standby"},
    {"sudo -u postgres psql --command='SELECT pg_promote()'", "section 8's standby"},
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string replaced(std::string text, const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& [from, to] : pairs)
    for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
      text.replace(at, from.size(), to);
  return text;
}

// What differs from run to run, made alike in the guide and the output.
std::string alike(std::string line) {
  static const std::vector<std::pair<std::regex, std::string>> kVarying = {
      {std::regex(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"), "<TIME>"},
      {std::regex(R"((schema version|brought to|up to) \d+)"), "$1 <N>"},
      {std::regex(R"(\bdesk [0-9a-f]{8}\b)"), "desk <ID>"},
  };
  for (const auto& [re, with] : kVarying) line = std::regex_replace(line, re, with);
  return line;
}

bool matches(const std::vector<std::string>& want, std::size_t w, const std::vector<std::string>& got,
             std::size_t g) {
  if (w == want.size()) return g == got.size();
  if (want[w] == "...") {
    for (std::size_t k = g; k <= got.size(); ++k)
      if (matches(want, w + 1, got, k)) return true;
    return false;
  }
  return g < got.size() && alike(want[w]) == alike(got[g]) && matches(want, w + 1, got, g + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class FleetGuide : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = PgCluster::unavailable(); !why.empty()) GTEST_SKIP() << why;
    if (run_command("command -v openssl >/dev/null").status != 0) GTEST_SKIP() << "no openssl to make certificates";
    ASSERT_TRUE(pg_.start()) << pg_.log();
    const std::string port = std::to_string(pg_.port());
    // Longest first: a host with its port before the host alone.
    guide_to_test_ = {{"db1.example.com:5432", "127.0.0.1:" + port},
                      {"db2.example.com:5432", "127.0.0.2:" + port},
                      {"/etc/postgresql/15/main/", pg_.socket_dir() + "/"},
                      {"/etc/kdad/", dir_.file("etc") + "/"},
                      {"/var/lib/kdad", state_dir_}};
    for (const auto& [guide, test] : guide_to_test_) test_to_guide_.emplace_back(test, guide);
    std::filesystem::create_directories(dir_.file("etc"));
    ASSERT_NO_FATAL_FAILURE(make_certificates());
    ASSERT_NO_FATAL_FAILURE(make_single_desk());
  }

  void TearDown() override {
    if (desk_) desk_->stop();
  }

  // Runs `sql` as the superuser: "" or the error.
  std::string superuser(const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(pg_.connection_string().c_str()), &PQfinish);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK) return "";
    if (status == PGRES_TUPLES_OK) return PQntuples(result.get()) ? PQgetvalue(result.get(), 0, 0) : "";
    return PQerrorMessage(conn.get());
  }

  // Environment of a command run as the superuser over the cluster's socket.
  std::string as_postgres() const {
    return "PGHOST=" + pg_.socket_dir() + " PGPORT=" + std::to_string(pg_.port()) + " PGUSER=postgres ";
  }

  // A CA, and the server's certificate from it for both hosts' addresses.
  void make_certificates() {
    const std::string etc = dir_.file("etc"), server = pg_.socket_dir();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    const auto made = run_command(
        "cd " + etc + " && openssl req -x509" + ec + "-keyout ca.key -out fleet-ca.crt -days 2 -subj /CN=kda-test-ca"
        " 2>&1 && openssl req" + ec + "-keyout db1.key -out db1.csr -subj /CN=db1.example.com 2>&1 && "
        "printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2\\n' > san.ext && "
        "openssl x509 -req -in db1.csr -CA fleet-ca.crt -CAkey ca.key -CAcreateserial -out db1.crt -days 2 "
        "-extfile san.ext 2>&1 && cp db1.crt db1.key " + server + "/ && chmod 600 " + server + "/db1.key");
    ASSERT_EQ(made.status, 0) << made.out;
    struct stat owner {};
    ASSERT_EQ(::stat(server.c_str(), &owner), 0);
    for (const char* file : {"/db1.crt", "/db1.key"})
      ASSERT_EQ(::chown((server + file).c_str(), owner.st_uid, owner.st_gid), 0);
  }

  // The desk the guide moves in: on its own SQLite file, stopped.
  void make_single_desk() {
    std::filesystem::create_directories(state_dir_);
    TcpKdad desk("[daemon]\nname = \"Site A\"\n", state_dir_);
    ASSERT_TRUE(desk.start()) << desk.log();
    std::ofstream(dir_.file("devices.csv")) << "imei,serial\n490154203237518,R58M12345AB\n"
                                               "356938035643809,R58M12345AC\n,R58N00000XY\n";
    for (const std::string& args : {"devices import " + dir_.file("devices.csv"), std::string("devices approve --all"),
                                   std::string("devices assign 490154203237518 --profile 'Staging default'"),
                                   "profile add " + std::string(KDA_SOURCE_DIR) + "/examples/profiles/corporate-eap.json"}) {
      const auto done = desk.ctl(args);
      ASSERT_EQ(done.status, 0) << args << ": " << done.out;
    }
    ASSERT_EQ(desk.stop(), 0) << desk.log();
  }

  void write_file(const std::string& guide_path, const std::vector<std::string>& lines) {
    const std::string path = replaced(guide_path, guide_to_test_);
    std::ofstream(path) << replaced(joined(lines), guide_to_test_);
    ::chmod(path.c_str(), 0600);
  }

  // A password file: written, and its passwords given to the roles.
  // The server's port is the cluster's, not 5432.
  void password_file(const std::string& path, std::vector<std::string> lines) {
    for (auto& line : lines) line = replaced(line, {{":5432:", ":" + std::to_string(pg_.port()) + ":"}});
    write_file(path, lines);
    for (const auto& line : lines) {
      const auto fields = lines_of(replaced(line, {{":", "\n"}}));
      ASSERT_EQ(fields.size(), 5u) << line;
      ASSERT_EQ(superuser("ALTER ROLE " + fields[3] + " PASSWORD '" + fields[4] + "'"), "");
    }
  }

  void server_settings(const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      const auto eq = line.find(" = ");
      ASSERT_NE(eq, std::string::npos) << line;
      if (line.substr(0, eq) == "listen_addresses") continue;
      ASSERT_EQ(superuser("ALTER SYSTEM SET " + replaced(line, guide_to_test_)), "") << line;
    }
    ASSERT_EQ(superuser("SELECT pg_reload_conf()"), "t");
  }

  void who_may_connect(const std::vector<std::string>& lines) {
    std::string first;
    for (const auto& line : lines) first += replaced(line, {{"10.20.0.0/16", "127.0.0.0/8"}}) + "\n";
    first += "host kda kda_owner,kda_desk 127.0.0.0/8 reject\n";
    const std::string hba = superuser("SHOW hba_file");
    std::stringstream rest;
    rest << std::ifstream(hba).rdbuf();
    std::ofstream(hba) << first << rest.str();
    ASSERT_EQ(superuser("SELECT pg_reload_conf()"), "t");
  }

  // Runs a transcript's command as the guide's reader would.
  CommandResult run(const std::string& guide_command) {
    std::string command = replaced(guide_command, guide_to_test_);
    std::string env = "PATH=" + std::string(PgCluster::kBinDir) + ":$PATH PGPASSFILE=" + dir_.file("admin.pgpass") + " ";
    if (starts_with(command, "sudo -u postgres ")) {
      command = command.substr(17);
      env += as_postgres();
    }
    if (starts_with(command, "kdad ")) command = std::string(KDA_BIN_DIR) + "/" + command;
    if (starts_with(command, "kdactl "))
      command = std::string(KDA_BIN_DIR) + "/kdactl --socket " + state_dir_ + "/kdad.sock " + command.substr(7);
    return run_command("cd " + dir_.path() + " && env " + env + command + " 2>&1");
  }

  void transcript(const Block& block) {
    std::size_t i = 0;
    while (i < block.lines.size()) {
      const int line = block.line + static_cast<int>(i);
      const std::string command = block.lines[i].substr(2);
      std::vector<std::string> want;
      for (++i; i < block.lines.size() && !starts_with(block.lines[i], "$ "); ++i) want.push_back(block.lines[i]);
      if (kNotRun.count(command)) continue;
      std::string out;
      if (command == "sudo systemctl stop kdad") {
        if (desk_) desk_->stop();
      } else if (command == "sudo systemctl start kdad") {
        std::stringstream config;
        config << std::ifstream(dir_.file("etc/kdad.toml")).rdbuf();
        desk_.emplace(config.str(), state_dir_);  // on a free port, not the default 4711
        ASSERT_TRUE(desk_->start(std::chrono::seconds(10))) << desk_->log();
      } else if (command == "echo $?") {
        out = std::to_string(status_) + "\n";
      } else {
        const auto done = run(command);
        status_ = done.status;
        out = done.out;
      }
      const auto got = lines_of(replaced(out, test_to_guide_));
      EXPECT_TRUE(matches(want, 0, got, 0)) << "docs/FLEET.md:" << line << ": $ " << command << "\nthe guide:\n"
                                            << joined(want) << "now:\n" << joined(got);
      ++commands_;
    }
  }

  PgCluster pg_;
  TempDir dir_{"kda-guide"};
  std::string state_dir_ = dir_.file("state");
  std::vector<std::pair<std::string, std::string>> guide_to_test_, test_to_guide_;
  std::optional<TcpKdad> desk_;
  int status_ = 0;
  int commands_ = 0;
};

TEST_F(FleetGuide, WalksTheGuide) {
  const auto blocks = read_guide(std::string(KDA_SOURCE_DIR) + "/docs/FLEET.md");
  ASSERT_FALSE(blocks.empty());
  int sql = 0, files = 0;
  for (const Block& b : blocks) {
    SCOPED_TRACE("docs/FLEET.md:" + std::to_string(b.line));
    const std::string& p = b.paragraph;
    if (b.lang == "sql") {
      write_file(dir_.file("block.sql"), b.lines);
      const auto ran = run_command("env " + as_postgres() + std::string(PgCluster::kBinDir) +
                                   "/psql -X -q -v ON_ERROR_STOP=1 -d postgres -f " + dir_.file("block.sql") + " 2>&1");
      ASSERT_EQ(ran.status, 0) << ran.out;
      ++sql;
    } else if (b.lang == "conf" && p.find("postgresql.conf") != std::string::npos) {
      ASSERT_NO_FATAL_FAILURE(server_settings(b.lines));
    } else if (b.lang == "conf" && p.find("pg_hba.conf") != std::string::npos) {
      ASSERT_NO_FATAL_FAILURE(who_may_connect(b.lines));
    } else if (b.lang == "conf" && p.find("`/etc/kdad/pgpass`") != std::string::npos) {
      ASSERT_NO_FATAL_FAILURE(password_file("/etc/kdad/pgpass", b.lines));
      ++files;
    } else if (b.lang == "conf" && p.find("`~/.pgpass`") != std::string::npos) {
      ASSERT_NO_FATAL_FAILURE(password_file(dir_.file("admin.pgpass"), b.lines));
      ++files;
    } else if (b.lang == "toml") {
      std::smatch named;
      ASSERT_TRUE(std::regex_search(p, named, std::regex(R"(`(/etc/kdad/[\w.-]+\.toml)`)"))) << p;
      write_file(named[1], b.lines);
      ++files;
    } else if (!b.lines.empty() && starts_with(b.lines[0], "$ ")) {
      ASSERT_NO_FATAL_FAILURE(transcript(b));
    }
  }
  EXPECT_EQ(sql, 2);
  EXPECT_EQ(files, 4);
  EXPECT_GE(commands_, 12);

  // The desk, logged in as kda_desk, enrolls a device: the rows-only
  // privileges of section 2.2 are enough for a session's work (the lease,
  // the ledger, the published sessions).
  ASSERT_TRUE(desk_) << "the guide no longer starts the desk on the fleet";
  const auto enrolled = run_command(desk_->target_cmd("356938035643809", "R58M12345AC") + " 2>&1");
  EXPECT_EQ(enrolled.status, 0) << enrolled.out << desk_->log();
  const auto ledger = desk_->ctl("ledger --device 356938035643809");
  EXPECT_NE(ledger.out.find("Provisioned"), std::string::npos) << ledger.out;
}

}  // namespace
}  // namespace kda::test
