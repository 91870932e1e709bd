// The mechanics both session roles share: one link, one deadline timer, the
// secure channel once keyed, interrupts (shutdown, user cancel), and the rule
// for how a session ends (Error or Close frame, then close the link).
// Lives on the link's strand; stop()/cancel() may come from any thread.
#pragma once

#include <optional>

#include "kda/core/clock.h"
#include "kda/core/link.h"
#include "kda/core/secure_channel.h"
#include "kda/core/session.h"

namespace kda {

class SessionChannel : public std::enable_shared_from_this<SessionChannel> {
 public:
  SessionChannel(LinkPtr link, const SessionConfig& config);

  Link& link() { return *link_; }
  asio::any_io_executor executor() const { return link_->executor(); }

  // One clear-layer frame, parsed and validated.
  asio::awaitable<Result<v1::Frame>> read_clear(std::chrono::milliseconds timeout);
  asio::awaitable<std::error_code> write_clear(const v1::Frame& frame);

  void start_secure(SecureChannel channel) { secure_.emplace(std::move(channel)); }
  bool secure() const { return secure_.has_value(); }
  // Next session frame from inside the secure channel, keep-alives skipped.
  // A peer's Error or Close comes back as an error (peer_reported() set).
  asio::awaitable<Result<v1::Frame>> read_sealed(std::chrono::milliseconds timeout);
  asio::awaitable<std::error_code> write_sealed(const v1::Frame& frame);
  // A PackageChunk frame, sealed straight from the package bytes.
  asio::awaitable<std::error_code> write_chunk(std::uint64_t offset, std::uint64_t total, ByteView data,
                                               ByteView sha256);

  // Ends the session from this side: an Error frame for failures we
  // detected, a Close frame for shutdown/cancel/normal end; then the link
  // closes. Best effort, bounded by close_timeout. Idempotent.
  asio::awaitable<void> end(std::error_code error, const std::string& text);
  // Replaces the Error/Close frame end() would build (e.g. an Error naming
  // the supported version).
  void set_farewell(v1::Frame frame) { farewell_ = std::move(frame); }
  // Closes without a farewell frame (after Result, or when the link is gone).
  void close_link();

  // Any thread. The current or next wait ends with `reason`.
  void interrupt(Errc reason);
  std::optional<Errc> interrupted() const { return interrupt_; }
  // A timer on the session's clock and executor, for waits outside link I/O.
  std::unique_ptr<Timer> make_timer() { return config_.clock->make_timer(executor()); }
  // A timer the owner is waiting on outside link I/O; interrupt() cancels it.
  void set_wait_timer(Timer* timer) { wait_timer_ = timer; }

  bool peer_reported() const { return peer_reported_; }
  // The code and reason of the peer's Error or Close; the reason is
  // escaped and cut short (escape_untrusted), never the peer's raw bytes.
  std::uint32_t peer_code() const { return peer_code_; }
  const std::string& peer_reason() const { return peer_reason_; }
  const SessionConfig& config() const { return config_; }
  void fill_counters(SessionReport& report) const;

 private:
  std::error_code begin_io(std::chrono::milliseconds timeout);
  Result<Bytes> finish_read(Result<Bytes> frame);
  asio::awaitable<std::error_code> write_bytes(Result<ByteView> sealed);
  std::error_code finish_write(std::error_code ec, std::size_t size);
  Result<v1::Frame> decode_clear(const Result<Bytes>& bytes);
  bool clear_error_allowed(const v1::Frame& frame) const;
  void arm(std::chrono::milliseconds timeout);
  void disarm();
  std::error_code map_link_error(std::error_code ec) const;
  std::error_code peer_error(std::uint32_t code, const std::string& text, bool is_close);

  LinkPtr link_;
  SessionConfig config_;
  void on_deadline();

  // One lazily armed deadline timer: an operation only moves `deadline_at_`;
  // the timer is set again when it fires early, or when a deadline comes
  // sooner (few timer-queue updates for the many operations of a session).
  void wait_for_deadline();
  std::unique_ptr<Timer> deadline_timer_;
  std::optional<Clock::time_point> timer_expiry_;  // its pending wait's
  Clock::time_point deadline_at_{};
  bool operation_pending_ = false;
  bool deadline_fired_ = false;
  std::optional<Errc> interrupt_;
  Timer* wait_timer_ = nullptr;
  std::optional<SecureChannel> secure_;
  bool ended_ = false;
  std::optional<v1::Frame> farewell_;
  bool peer_reported_ = false;
  std::uint32_t peer_code_ = 0;
  std::string peer_reason_;
  static constexpr std::size_t kMaxUnkeyedText = 80;
  std::uint64_t bytes_sent_ = 0, bytes_received_ = 0, frames_sent_ = 0, frames_received_ = 0;
};

// Text for an error code, for Error frames and logs.
std::string describe(std::error_code ec);

// A session that ended without provisioning: cancelled and rejected codes
// give their own outcomes, everything else is a failure.
SessionReport failure(std::error_code ec, std::string reason = {});

}  // namespace kda
