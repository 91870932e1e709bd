// The mail that tells a customer's admins a reseller's upload awaits their
// approval (issue 20), handed to the local sendmail(1) interface: composing
// it is a pure function; sending runs sendmail as a child on a thread of its
// own, so the io_context thread never waits for a mail system.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"

namespace kda::daemon {

struct UploadMailSettings {
  std::string sendmail = "/usr/sbin/sendmail";
  std::vector<std::string> recipients;  // bare addresses, like it@acme.example.com
  // "it-desk@msp.example.com" or "kda desk <it-desk@msp.example.com>";
  // empty: no From header, sendmail writes its own.
  std::string from;
  std::chrono::milliseconds timeout{30'000};  // then sendmail is killed
};

// What the mail tells: an upload and how many of its devices await approval.
struct PendingUpload {
  std::string customer_id;  // kDirectCustomer ("") on a direct desk
  std::string company;      // the customer's company name; may be empty
  std::string reseller_id;
  std::string file_name;    // as the reseller named it; quoted in the body
  std::size_t devices = 0;  // devices awaiting approval
  // Recipients of this mail besides the configured ones (the customer's
  // contact); checked as they are.
  std::vector<std::string> also_to;
};

// The message: To, From, Subject "kda: N devices from reseller R await
// approval for COMPANY" (RFC 2047-encoded when not ASCII), Date of now_ms,
// and a plain UTF-8 body naming the kdactl commands that list and approve
// the devices. Lines end in LF, the sendmail interface's convention (the
// mail system writes CRLF on the wire). Refused (std::errc::invalid_argument,
// one line naming the field): no recipients, a recipient or From that is no
// plain address or carries CR, LF or another control character, header text
// (company, reseller id) with a control character or bad UTF-8.
Result<std::string> compose_upload_mail(const UploadMailSettings& settings, const PendingUpload& upload,
                                        std::int64_t now_ms);

// Runs `sendmail -oi -t` (recipients from the To header) with `message` on
// its standard input, its own descriptors none of the caller's, and waits
// for it, at most `timeout` (then it is killed). Blocks: never call it on an
// io_context thread. Errors, one line each: a sendmail that cannot start
// (its errno), exits non-zero or dies (std::errc::io_error, with the first
// line it wrote to stderr), or overruns the timeout (std::errc::timed_out).
Result<void> run_sendmail(const std::string& sendmail, std::string_view message,
                          std::chrono::milliseconds timeout);

// Sends upload mails without blocking: each on a detached thread that
// starts sendmail, reaps it and reports. Thread-safe.
class UploadNotifier {
 public:
  // The outcome of one send, called once, on the sending thread: post it to
  // an executor before touching anything that thread does not own. It
  // must not throw.
  using Done = std::function<void(Result<void>)>;
  static constexpr int kMaxInFlight = 8;  // sends running at once; more are refused

  explicit UploadNotifier(UploadMailSettings settings);

  // Whether any recipient is configured; notify() needs one, configured
  // or in PendingUpload::also_to.
  bool enabled() const { return !settings_.recipients.empty(); }

  // Composes the mail now and starts sending it. An error here (the mail
  // cannot be composed, kMaxInFlight sends are running, no thread) means
  // nothing was started and `done` is never called; otherwise `done` gets
  // the send's outcome. Never throws.
  Result<void> notify(const PendingUpload& upload, std::int64_t now_ms, Done done);

 private:
  UploadMailSettings settings_;
  std::shared_ptr<std::atomic<int>> in_flight_;  // shared with the sending threads, which may outlive this
};

}  // namespace kda::daemon
