#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <tuple>
#include <utility>

#include <google/protobuf/util/json_util.h>

namespace kdactl {

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

namespace {

// A failed file call: errno as the code, the line for the admin as the detail.
tl::unexpected<kda::Error> file_error(int err, std::string line) {
  return kda::fail(std::error_code(err, std::generic_category()), std::move(line));
}

tl::unexpected<kda::Error> cannot(const char* what, const std::string& path, int err) {
  return file_error(err, std::string("cannot ") + what + " " + path + ": " + std::strerror(err));
}

}  // namespace

kda::Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return cannot("read", path, errno);
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes)
      return file_error(EFBIG, path + " is too large (more than " + std::to_string(max_bytes / 1024) + " KiB)");
  }
  if (in.bad()) return cannot("read", path, errno);
  return data;
}

kda::Result<void> write_private_file(const std::string& path, std::string_view data) {
  auto file = PrivateFile::create(path);
  if (!file) return tl::unexpected(file.error());
  if (auto w = file->write(data); !w) return w;
  return file->commit();
}

kda::Result<PrivateFile> PrivateFile::create(const std::string& path) {
  std::string tmp = path + ".kdactl-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return cannot("write", path, errno);
  return PrivateFile(path, std::move(tmp), fd);
}

PrivateFile::PrivateFile(PrivateFile&& other) noexcept
    : path_(std::move(other.path_)), tmp_(std::move(other.tmp_)), fd_(std::exchange(other.fd_, -1)) {}

PrivateFile::~PrivateFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(tmp_.c_str());
}

kda::Result<void> PrivateFile::failed(int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  return cannot("write", path_, err);
}

kda::Result<void> PrivateFile::write(std::string_view data) {
  if (fd_ < 0) return file_error(EBADF, "cannot write " + path_ + ": already closed");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed(errno);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

kda::Result<void> PrivateFile::commit() {
  if (fd_ < 0) return file_error(EBADF, "cannot write " + path_ + ": already closed");
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0 || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_.c_str());
    return cannot("write", path_, err);
  }
  return {};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

bool digits(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now) {
  if (text.empty()) return std::nullopt;
  // Relative: "90m" ago.
  if (const char unit = text.back(); std::strchr("smhdw", unit) && text.size() > 1) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
    if (ec == std::errc() && p == text.data() + text.size() - 1 && n >= 0) {
      const std::int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 604800;
      return now - n * scale * 1000;
    }
  }
  std::int64_t secs = 0;
  if (auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
      ec == std::errc() && p == text.data() + text.size())
    return secs * 1000;

  // YYYY-MM-DD[( |T)HH:MM[:SS]][Z]
  bool utc = false;
  if (text.back() == 'Z') {
    utc = true;
    text.remove_suffix(1);
  }
  std::tm tm{};
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !digits(text.substr(0, 4), y) ||
      !digits(text.substr(5, 2), mo) || !digits(text.substr(8, 2), d))
    return std::nullopt;
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != ' ') || text.size() < 16 || text[13] != ':' ||
        !digits(text.substr(11, 2), h) || !digits(text.substr(14, 2), mi))
      return std::nullopt;
    if (text.size() > 16 && (text.size() != 19 || text[16] != ':' || !digits(text.substr(17, 2), s)))
      return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  const std::time_t t = utc ? ::timegm(&tm) : std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(t) * 1000;
}

std::string format_time(std::int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string format_bytes(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (std::uint64_t{10} << 30))
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1u << 30));
  else if (bytes >= (std::uint64_t{1} << 20))
    std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  else
    std::snprintf(buf, sizeof buf, "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  return buf;
}

std::string format_duration(std::int64_t s) {
  char buf[32];
  if (s < 0) s = 0;
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400), static_cast<long long>(s % 86400 / 3600));
  return buf;
}

std::string to_json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = pretty;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {

// The JSON of `message` cut around the (empty) value of `field`: `{"devices":[` and `]}`.
std::pair<std::string, std::string> split_json(const google::protobuf::Message& message,
                                               const google::protobuf::FieldDescriptor* field) {
  const std::string json = to_json(message);
  const std::string key = "\"" + field->name() + "\":" + (field->is_repeated() ? "[]" : "\"\"");
  const auto at = json.find(key);
  if (at == std::string::npos) return {json, ""};  // cannot happen: every field is printed
  const auto cut = at + key.size() - 1;
  return {json.substr(0, cut), json.substr(cut)};
}

}  // namespace

PagedJson::PagedJson(const google::protobuf::Message& first, const std::string& field)
    : field_(first.GetDescriptor()->FindFieldByName(field)) {
  std::unique_ptr<google::protobuf::Message> frame(first.New());
  frame->CopyFrom(first);
  frame->GetReflection()->ClearField(frame.get(), field_);
  std::tie(open_, close_) = split_json(*frame, field_);
  frame->Clear();
  std::tie(empty_open_, empty_close_) = split_json(*frame, field_);
}

std::string PagedJson::piece(const google::protobuf::Message& page) {
  const auto* reflection = page.GetReflection();
  if (field_->is_repeated() ? reflection->FieldSize(page, field_) == 0 : reflection->GetString(page, field_).empty())
    return {};
  // Only the field, so that what is around it is known: {"devices":[...]}.
  std::unique_ptr<google::protobuf::Message> only(page.New());
  if (field_->is_repeated()) {
    for (int i = 0; i < reflection->FieldSize(page, field_); ++i)
      only->GetReflection()->AddMessage(only.get(), field_)->CopyFrom(reflection->GetRepeatedMessage(page, field_, i));
  } else {
    only->GetReflection()->SetString(only.get(), field_, reflection->GetString(page, field_));
  }
  const std::string json = to_json(*only);
  if (json.size() < empty_open_.size() + empty_close_.size()) return {};
  std::string out = any_ && field_->is_repeated() ? "," : "";
  out.append(json, empty_open_.size(), json.size() - empty_open_.size() - empty_close_.size());
  any_ = true;
  return out;
}

std::string hex_dump(std::string_view bytes) {
  std::string out;
  char buf[32];
  for (std::size_t line = 0; line < bytes.size(); line += 16) {
    std::snprintf(buf, sizeof buf, "%08zx ", line);
    out += buf;
    std::string ascii;
    for (std::size_t i = line; i < line + 16; ++i) {
      if (i < bytes.size()) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        std::snprintf(buf, sizeof buf, " %02x", b);
        out += buf;
        ascii += b >= 0x20 && b < 0x7f ? static_cast<char>(b) : '.';
      } else {
        out += "   ";
      }
      if (i == line + 7) out += ' ';
    }
    out += "  |" + ascii + "|\n";
  }
  return out;
}

}  // namespace kdactl
