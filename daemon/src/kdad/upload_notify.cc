#include "upload_notify.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <thread>
#include <utility>

#include <openssl/evp.h>

#include "kda/daemon/customer.h"
#include "kda/daemon/device.h"

extern char** environ;

namespace kda::daemon {
namespace {

tl::unexpected<Error> refuse(const std::string& line) { return fail(std::errc::invalid_argument, line); }

bool has_control_char(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; });
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

// Why header text is refused, "" when it may go into a header.
std::string header_text_problem(std::string_view s) {
  if (has_control_char(s)) return "has a control character (a line break would forge a header)";
  if (!valid_utf8(s)) return "is not valid UTF-8";
  return {};
}

// "From: " and its value, or why the configured From is none.
Result<std::string> from_header(std::string_view from) {
  if (email_form_valid(from)) return "From: " + std::string(from) + "\n";
  const auto open = from.rfind(" <");
  const bool bracketed = open != std::string_view::npos && from.ends_with('>');
  const auto name = bracketed ? from.substr(0, open) : std::string_view();
  const auto address = bracketed ? from.substr(open + 2, from.size() - open - 3) : std::string_view();
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(" ._-").find(c) != std::string_view::npos;
  });
  if (!name_ok || !email_form_valid(address))
    return refuse("from: " + quote_for_message(from) +
                  " is no address (it@example.com, or Name <it@example.com> with a name of letters, digits, "
                  "spaces and . _ -)");
  return "From: " + std::string(from) + "\n";
}

// "To: " and the recipients, folded before a line passes 78 characters.
Result<std::string> to_header(const std::vector<std::string>& recipients) {
  if (recipients.empty()) return refuse("recipients: none configured");
  std::string out = "To:";
  std::size_t line = out.size();
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const std::string& r = recipients[i];
    if (!email_form_valid(r))
      return refuse("recipients: " + quote_for_message(r) + " is no plain address (like it@example.com)");
    if (i > 0) out += ',', ++line;
    if (i > 0 && line + 1 + r.size() > 78) out += '\n', line = 0;
    out += ' ' + r;
    line += 1 + r.size();
  }
  return out + "\n";
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A header value as RFC 2047 encoded words (UTF-8, base64) of at most 39
// bytes each, never splitting a character, one per folded line.
std::string encoded_words(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t n = std::min<std::size_t>(text.size(), 39);  // "Subject: " and one word fit 76
    while (n > 1 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // mid-character
    out += (out.empty() ? "" : "\n ") + std::string("=?UTF-8?B?") + base64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

// RFC 5322's date, in UTC: "Sun, 06 Dec 2026 20:46:53 +0000".
std::string mail_date(std::int64_t unix_ms) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[static_cast<std::size_t>(tm.tm_wday)],
                tm.tm_mday, kMonths[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string devices_phrase(std::size_t n) { return std::to_string(n) + (n == 1 ? " device" : " devices"); }

std::string subject(const PendingUpload& u) {
  std::string s = "kda: " + devices_phrase(u.devices) + " from reseller " + u.reseller_id +
                  (u.devices == 1 ? " awaits" : " await") + " approval";
  return u.company.empty() ? s : s + " for " + u.company;
}

std::string body(const PendingUpload& u) {
  const std::string customer = u.customer_id.empty() ? std::string() : " --customer " + u.customer_id;
  const std::string whose = u.customer_id.empty() ? std::string("this desk")
                            : u.company.empty()   ? "customer " + u.customer_id
                                                  : u.company + " (customer " + u.customer_id + ")";
  return "Reseller " + u.reseller_id + " uploaded " + devices_phrase(u.devices) + " for " + whose + " in " +
         quote_for_message(u.file_name) +
         ".\n"
         "No desk enrolls them until they are approved.\n"
         "\n"
         "List them:\n"
         "  kdactl devices list" + customer + " --approval pending\n"
         "\n"
         "Approve them (KEYS: the IMEIs or serial numbers the list shows):\n"
         "  kdactl devices approve" + customer + " KEYS...\n"
         "\n"
         "-- \n"
         "kdad sends this mail to the upload notice recipients of its configuration.\n";
}

}  // namespace

Result<std::string> compose_upload_mail(const UploadMailSettings& settings, const PendingUpload& upload,
                                        std::int64_t now_ms) {
  std::vector<std::string> recipients = settings.recipients;
  recipients.insert(recipients.end(), upload.also_to.begin(), upload.also_to.end());
  auto to = to_header(recipients);
  if (!to) return tl::unexpected(to.error());
  std::string from;
  if (!settings.from.empty()) {
    auto header = from_header(settings.from);
    if (!header) return tl::unexpected(header.error());
    from = *header;
  }
  for (const auto& [field, value] : {std::pair{"company", &upload.company}, {"reseller_id", &upload.reseller_id},
                                     {"customer_id", &upload.customer_id}})
    if (auto p = header_text_problem(*value); !p.empty()) return refuse(std::string(field) + ": " + p);
  const std::string text = subject(upload);
  return from + *to + "Subject: " + (printable_ascii(text) ? text : encoded_words(text)) + "\n" +
         "Date: " + mail_date(now_ms) + "\n" +
         "MIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=utf-8\n"
         "Content-Transfer-Encoding: 8bit\n"
         "Auto-Submitted: auto-generated\n"  // RFC 3834: no vacation replies to kdad
         "\n" +
         body(upload);
}

namespace {

using Clock = std::chrono::steady_clock;

// A descriptor closed when it goes out of scope or is reset.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct Child {
  pid_t pid = -1;
  Fd input;   // our end of its stdin
  Fd errors;  // our end of its stderr
};

tl::unexpected<Error> system_failure(const std::string& sendmail, std::string_view what, int err) {
  return fail(std::error_code(err, std::system_category()),
              "sendmail " + sendmail + ": " + std::string(what) + ": " + std::strerror(err));
}

// sendmail -oi -t with its stdin a socket (so that writing to a sendmail
// that quit early is EPIPE, never SIGPIPE), stdout /dev/null, stderr a pipe
// to us, and no other descriptor of kdad's.
Result<Child> spawn_sendmail(const std::string& sendmail) {
  int in[2], err[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) return system_failure(sendmail, "socketpair", errno);
  Fd child_in(in[0]), our_in(in[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return system_failure(sendmail, "pipe", errno);
  Fd our_err(err[0]), child_err(err[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_in.get(), 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_err.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  // kdad ignores SIGPIPE and its threads may block signals; sendmail gets the defaults.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string oi = "-oi", t = "-t";
  char* argv[] = {const_cast<char*>(sendmail.c_str()), oi.data(), t.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, sendmail.c_str(), &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return system_failure(sendmail, "cannot start it", rc);
  return Child{pid, std::move(our_in), std::move(our_err)};
}

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

// What became of one sendmail run.
struct Outcome {
  int status = 0;          // its wait status
  std::string said;        // the start of its stderr
  std::size_t sent = 0;    // bytes of the message it took
};

// Writes what the child takes now; at the end (or when it will take no
// more) closes its stdin, which tells sendmail -t to send.
void feed(Child& child, std::string_view message, Outcome& out) {
  const ssize_t n = ::send(child.input.get(), message.data() + out.sent, message.size() - out.sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) out.sent += static_cast<std::size_t>(n);
  if (out.sent == message.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) child.input.reset();
}

// Reads what the child wrote to stderr, keeping the first KiB.
void listen(Child& child, Outcome& out) {
  char buf[512];
  const ssize_t n = ::read(child.errors.get(), buf, sizeof buf);
  if (n > 0 && out.said.size() < 1024) out.said.append(buf, std::min<std::size_t>(n, 1024 - out.said.size()));
  if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) child.errors.reset();
}

// Runs the exchange with the child until it is reaped: feeds it the
// message, keeps what it says, and kills it at the deadline. The loop
// wakes every 20 ms to look for its exit: a process it left behind may
// hold stderr open long after it is gone.
Result<Outcome> supervise(Child& child, const std::string& sendmail, std::string_view message,
                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Outcome out;
  if (message.empty()) child.input.reset();
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{child.errors.get(), POLLIN, 0}, pollfd{child.input.get(), POLLOUT, 0}};
    if (::poll(fds.data(), fds.size(), std::min(ms_until(deadline), 20)) > 0) {  // a closed Fd (-1) is skipped
      if (fds[1].revents != 0) feed(child, message, out);
      if (fds[0].revents != 0) listen(child, out);
    }
    const pid_t r = ::waitpid(child.pid, &out.status, WNOHANG);
    if (r == child.pid) {
      for (pollfd err{child.errors.get(), POLLIN, 0}; child.errors.open() && ::poll(&err, 1, 0) > 0;) listen(child, out);
      return out;
    }
    if (r < 0 && errno != EINTR) return system_failure(sendmail, "its exit status is lost", errno);
    if (Clock::now() >= deadline) {
      ::kill(child.pid, SIGKILL);
      while (::waitpid(child.pid, &out.status, 0) < 0 && errno == EINTR) {
      }
      return fail(std::errc::timed_out, "sendmail " + sendmail + " did not finish within " +
                                            std::to_string(timeout.count()) + " ms and was killed");
    }
  }
}

// The first line sendmail wrote to stderr, fit for a log line.
std::string first_line(std::string_view said) {
  std::string line(said.substr(0, std::min(said.find('\n'), std::size_t{200})));
  std::replace_if(line.begin(), line.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }, '?');
  return line;
}

}  // namespace

Result<void> run_sendmail(const std::string& sendmail, std::string_view message,
                          std::chrono::milliseconds timeout) {
  auto child = spawn_sendmail(sendmail);
  if (!child) return tl::unexpected(child.error());
  const auto out = supervise(*child, sendmail, message, timeout);
  if (!out) return tl::unexpected(out.error());
  const std::string who = "sendmail " + sendmail;
  const std::string said = out->said.empty() ? std::string() : ": " + first_line(out->said);
  if (WIFSIGNALED(out->status))
    return fail(std::errc::io_error, who + " was killed by signal " + std::to_string(WTERMSIG(out->status)) + said);
  if (WEXITSTATUS(out->status) != 0)
    return fail(std::errc::io_error, who + " exited with status " + std::to_string(WEXITSTATUS(out->status)) + said);
  if (out->sent < message.size())
    return fail(std::errc::io_error, who + " exited before it read the whole message" + said);
  return {};
}

UploadNotifier::UploadNotifier(UploadMailSettings settings)
    : settings_(std::move(settings)), in_flight_(std::make_shared<std::atomic<int>>(0)) {}

Result<void> UploadNotifier::notify(const PendingUpload& upload, std::int64_t now_ms, Done done) {
  auto message = compose_upload_mail(settings_, upload, now_ms);
  if (!message) return tl::unexpected(message.error());
  if (in_flight_->fetch_add(1) >= kMaxInFlight) {
    in_flight_->fetch_sub(1);
    return fail(std::errc::resource_unavailable_try_again,
                "sendmail: " + std::to_string(kMaxInFlight) + " upload mails are still being sent; this one is dropped");
  }
  try {
    std::thread([sendmail = settings_.sendmail, timeout = settings_.timeout, message = std::move(*message),
                 in_flight = in_flight_, done = std::move(done)] {
      auto result = run_sendmail(sendmail, message, timeout);
      in_flight->fetch_sub(1);
      if (done) done(std::move(result));
    }).detach();
  } catch (const std::system_error& e) {
    in_flight_->fetch_sub(1);
    return fail(e.code(), std::string("sendmail: cannot start a thread to send the upload mail: ") + e.what());
  }
  return {};
}

}  // namespace kda::daemon
