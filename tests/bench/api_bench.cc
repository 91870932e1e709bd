#include "api_bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "inventory_desk.h"
#include "load_bench.h"

namespace kda::bench {
namespace {

constexpr std::uint32_t kPageSize = 100;
constexpr double kPageP99TargetMs = 20;

// A plain HTTP/1.1 client on one keep-alive connection to 127.0.0.1:port:
// what an MDM's sync loop does, without a library's own costs in the figures.
class HttpConnection {
 public:
  struct Response {
    int status = 0;
    std::string location;
    std::string body;
  };

  explicit HttpConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("HTTP connect to port " + std::to_string(port) + ": " + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~HttpConnection() { ::close(fd_); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  Response request(const std::string& method, const std::string& target, const std::string& token,
                   const std::string& content_type = "", const std::string& body = "") {
    std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                       "\r\nAccept: application/json\r\n";
    if (!content_type.empty())
      head += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    send_all(head + "\r\n" + body);
    return read_response();
  }

 private:
  void send_all(const std::string& data) {
    for (std::size_t sent = 0; sent < data.size();) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error(std::string("HTTP send: ") + std::strerror(errno));
      sent += static_cast<std::size_t>(n);
    }
  }
  void fill() {
    char chunk[64 * 1024];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("HTTP: kdad closed the connection");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  // The value of header `name` (lower case) in `head`, or "".
  static std::string header(const std::string& head, const std::string& name) {
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    const auto begin = head.find_first_not_of(' ', at + name.size() + 3);
    return head.substr(begin, head.find("\r\n", begin) - begin);
  }
  Response read_response() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    Response r;
    r.status = std::atoi(head.c_str() + head.find(' ') + 1);
    r.location = header(head, "location");
    const std::string length = header(head, "content-length");
    if (length.empty()) throw std::runtime_error("HTTP: a response without Content-Length: " + head);
    const auto size = static_cast<std::size_t>(std::stoul(length));
    while (buffer_.size() < size) fill();
    r.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return r;
  }

  int fd_ = -1;
  std::string buffer_;
};

// A loopback port nothing listens on now (kdad binds it a moment later).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0)
    throw std::runtime_error(std::string("no free loopback port: ") + std::strerror(errno));
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Latency {
  std::vector<double> ms;  // one per request
  double total_ms = 0;
  double percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
  }
  nlohmann::ordered_json summary() const {
    return {{"requests", ms.size()},
            {"p50_ms", percentile(0.50)},
            {"p99_ms", percentile(0.99)},
            {"max_ms", percentile(1.0)},
            {"per_s", total_ms > 0 ? static_cast<double>(ms.size()) * 1000 / total_ms : 0}};
  }
};

std::string url_encoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Every page of GET /api/v1/devices, by next_cursor; the devices it saw.
long walk_http_pages(HttpConnection& http, const std::string& token, Latency& latency) {
  long devices = 0;
  std::string cursor;
  const auto start = Clock::now();
  for (;;) {
    const std::string target =
        "/api/v1/devices?page_size=" + std::to_string(kPageSize) + (cursor.empty() ? "" : "&cursor=" + url_encoded(cursor));
    const auto asked = Clock::now();
    const auto r = http.request("GET", target, token);
    latency.ms.push_back(ms_since(asked));
    if (r.status != 200) throw std::runtime_error("GET " + target + ": " + std::to_string(r.status) + " " + r.body);
    const auto page = json::parse(r.body);
    devices += static_cast<long>(page.at("devices").size());
    if (!page.contains("next_cursor")) break;
    cursor = page["next_cursor"].get<std::string>();
  }
  latency.total_ms = ms_since(start);
  return devices;
}

// The same pages over the control socket (DevicesListRequest.page_size).
long walk_socket_pages(Desk& desk, Latency& latency) {
  auto client = desk.connect();
  long devices = 0;
  v1::ControlRequest req;
  req.mutable_devices_list()->set_page_size(kPageSize);
  const auto start = Clock::now();
  for (;;) {
    const auto asked = Clock::now();
    const auto r = call(client, req, "devices list (a page)");
    latency.ms.push_back(ms_since(asked));
    devices += r.devices().devices_size();
    if (!r.devices().has_next()) break;
    req.mutable_devices_list()->set_after(r.devices().next());
  }
  latency.total_ms = ms_since(start);
  return devices;
}

// kdactl tokens create --role msp-admin: the secret is the line it prints alone.
std::string make_token(const Desk& desk) {
  const std::string out = desk.dir->file("token.txt");
  const auto run = desk.kdactl_run({"tokens", "create", "--role", "msp-admin", "--name", "kda-bench"}, "/dev/null", out);
  if (!run.ok()) throw std::runtime_error("kdactl tokens create: " + run.describe());
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("kda_", 0) == 0) return line;
  throw std::runtime_error("kdactl tokens create printed no secret");
}

// Devices [begin, end) as the API's JSON upload and as kdactl's CSV.
std::string upload_json(long begin, long end) {
  json devices = json::array();
  for (long i = begin; i < end; ++i)
    devices.push_back({{"imei", load_imei(static_cast<std::uint64_t>(i))}, {"serial", "API" + std::to_string(i)},
                       {"tags", {"bench"}}});
  return json{{"devices", devices}}.dump();
}
std::string upload_csv(const std::string& path, long begin, long end) {
  std::ofstream out(path);
  out << "imei,serial,tags\n";
  for (long i = begin; i < end; ++i) out << load_imei(static_cast<std::uint64_t>(i)) << ",API" << i << ",bench\n";
  if (!out) throw std::runtime_error(path + ": cannot write");
  return path;
}

// POST /api/v1/devices, then (202) its operation polled until it ends: the
// time until the devices are in.
double timed_http_upload(HttpConnection& http, const std::string& token, const std::string& body) {
  const auto start = Clock::now();
  auto r = http.request("POST", "/api/v1/devices", token, "application/json", body);
  if (r.status == 202) {
    const std::string operation = r.location;
    for (;;) {
      r = http.request("GET", operation, token);
      const auto state = json::parse(r.body, nullptr, false).value("state", "");
      if (r.status != 200 || state != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const auto op = json::parse(r.body, nullptr, false);
    if (op.value("state", "") != "succeeded") throw std::runtime_error("upload operation: " + r.body);
  } else if (r.status != 200) {
    throw std::runtime_error("POST /api/v1/devices: " + std::to_string(r.status) + " " + r.body);
  }
  return ms_since(start);
}

std::optional<int> api_options(int argc, char** argv, CommonOptions& o, long& upload) {
  try {
    for (int i = 0; i < argc; ++i) {
      const std::string arg = argv[i];
      if (common_arg(o, argc, argv, i)) continue;
      if (arg == "--upload") upload = positive_arg(argc, argv, i, "--upload");
      else throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kda-bench api: %s\n", e.what());
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int api_command(int argc, char** argv) {
  CommonOptions o;
  o.devices = 100'000;
  long upload = 10'000;
  if (auto status = api_options(argc, argv, o, upload)) return *status;
  const int port = free_port();
  Desk desk;
  desk.extra_config = "\n[http]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\ntls = false\n";
  start_desk(desk, o, "kda-api", "kda-bench api");
  const long n = o.devices;
  note(o, "importing " + std::to_string(n) + " devices");
  for (const auto& file : inventory_files(desk.dir->path(), n, 't')) {
    const auto run = desk.kdactl_run({"devices", "import", file});
    if (!run.ok()) throw std::runtime_error("kdactl devices import: " + run.describe());
  }
  const std::string token = make_token(desk);
  HttpConnection http(port);

  note(o, "pages over HTTP and over the control socket");
  Latency http_pages, socket_pages;
  const long http_seen = walk_http_pages(http, token, http_pages);
  const long socket_seen = walk_socket_pages(desk, socket_pages);
  note(o, "kdactl devices list");
  const auto list = desk.kdactl_run({"devices", "list"});
  const auto list_json = desk.kdactl_run({"--json", "devices", "list"});
  if (!list.ok() || !list_json.ok()) throw std::runtime_error("kdactl devices list: " + list.describe());

  note(o, "uploads of " + std::to_string(upload) + " devices: JSON over HTTP, CSV through kdactl");
  const double http_upload_ms = timed_http_upload(http, token, upload_json(n, n + upload));
  const auto imported =
      desk.kdactl_run({"devices", "import", upload_csv(desk.dir->file("upload.csv"), n + upload, n + 2 * upload)});
  if (!imported.ok()) throw std::runtime_error("kdactl devices import: " + imported.describe());
  const long total = static_cast<long>(desk.report().devices());
  stop_kdad(desk.kdad);

  const bool walked_all = http_seen == n && socket_seen == n;
  const bool uploaded_all = total == n + 2 * upload;
  const double p99 = http_pages.percentile(0.99);
  const bool pass = walked_all && uploaded_all && p99 <= kPageP99TargetMs;
  const nlohmann::ordered_json out = {{"bench", "api"},
                                      {"devices", n},
                                      {"page_size", kPageSize},
                                      {"http_pages", http_pages.summary()},
                                      {"socket_pages", socket_pages.summary()},
                                      {"kdactl_list_ms", list.wall_ms},
                                      {"kdactl_list_json_ms", list_json.wall_ms},
                                      {"upload_devices", upload},
                                      {"http_json_upload_ms", http_upload_ms},
                                      {"kdactl_csv_import_ms", imported.wall_ms},
                                      {"walked_all", walked_all},
                                      {"uploaded_all", uploaded_all},
                                      {"page_p99_target_ms", kPageP99TargetMs},
                                      {"pass", pass}};
  std::printf("%s\n", o.json ? out.dump().c_str() : out.dump(2).c_str());
  return o.check && !pass ? 1 : 0;
}

}  // namespace kda::bench
