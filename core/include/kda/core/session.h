// Enrollment sessions: the primary and target state machines of
// docs/PROTOCOL.md over any Link. Each session runs as one coroutine on its
// link's strand; every wait has a deadline; stop() ends it with a Close frame.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "kda/core/clock.h"
#include "kda/core/enrollment_backend.h"
#include "kda/core/frame_validator.h"
#include "kda/core/link.h"
#include "kda/core/noise/noise.h"

namespace kda {

struct SessionConfig {
  std::chrono::milliseconds handshake_timeout{10'000};  // each wait before the channel is keyed
  std::chrono::milliseconds idle_timeout{30'000};       // any later wait for the peer
  std::chrono::milliseconds keepalive_interval{10'000}; // primary, while authorizing
  std::chrono::milliseconds close_timeout{1'000};       // last Close/Error frame
  std::size_t chunk_size = 32 * 1024;                   // package bytes per chunk
  std::size_t max_package_size = kMaxPackageSize;
  // Every deadline, keep-alive and close wait above runs on this clock; it
  // outlives the sessions. Tests pass a ManualClock.
  Clock* clock = &steady_clock();
};

class SessionChannel;

struct PrimaryOptions {
  noise::Keypair static_key;
  std::optional<noise::Key> psk;  // out-of-band secret; enables NXpsk2
  bool require_psk = false;       // refuse targets that come without it
  SessionConfig config;
};

class PrimarySession : public std::enable_shared_from_this<PrimarySession> {
 public:
  static std::shared_ptr<PrimarySession> create(LinkPtr link, PrimaryOptions options,
                                                EnrollmentBackend& backend, std::string session_id);
  ~PrimarySession();

  // Runs to the end; co_spawn it on executor(). The backend's on_finished has
  // been called with the same report before this returns.
  asio::awaitable<SessionReport> run();
  // Thread-safe: ends the session (Close frame, code 306 shutdown).
  void stop();
  asio::any_io_executor executor() const;
  const SessionInfo& info() const { return info_; }

 private:
  PrimarySession(LinkPtr link, PrimaryOptions options, EnrollmentBackend& backend, std::string id);
  asio::awaitable<SessionReport> exchange();
  asio::awaitable<Result<void>> handshake();
  asio::awaitable<Result<void>> send_package(const PreparedPackage& package);
  asio::awaitable<Result<AuthorizationDecision>> await_decision(const v1::EnrollRequest& request);
  asio::awaitable<SessionReport> finish(SessionReport report);

  std::shared_ptr<SessionChannel> channel_;
  PrimaryOptions options_;
  EnrollmentBackend& backend_;
  SessionInfo info_;
};

struct TargetOptions {
  v1::DeviceIdentity device;
  std::string profile_name;                      // empty: the primary assigns
  std::optional<noise::Key> psk;                 // handed over out of band (a bump, a QR code)
  std::optional<noise::PublicKey> pinned_primary_key;
  SessionConfig config;
  std::function<void(const std::string& sas)> on_sas;
  std::function<void(std::uint64_t received, std::uint64_t total)> on_progress;
};

class TargetSession : public std::enable_shared_from_this<TargetSession> {
 public:
  static std::shared_ptr<TargetSession> create(LinkPtr link, TargetOptions options);
  ~TargetSession();

  // Runs to the end; co_spawn it on executor().
  asio::awaitable<SessionReport> run();
  // Thread-safe: the user pressed cancel (Close frame, code 302).
  void cancel();
  // Thread-safe: local shutdown (Close frame, code 306).
  void stop();
  asio::any_io_executor executor() const;

 private:
  TargetSession(LinkPtr link, TargetOptions options);
  asio::awaitable<SessionReport> exchange();
  asio::awaitable<Result<void>> handshake(SessionReport& report);
  asio::awaitable<Result<v1::EnrollmentPackage>> receive_package(Result<v1::Frame> first);

  std::shared_ptr<SessionChannel> channel_;
  TargetOptions options_;
};

}  // namespace kda
