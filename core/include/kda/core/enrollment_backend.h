// What a primary session asks of its owner (kdad): which profiles to offer,
// whether a device gets a package and which one, and where outcomes go.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/core/prepared_package.h"
#include "kda/proto/kda.pb.h"

namespace kda {

struct SessionInfo {
  std::string session_id;
  v1::TransportKind transport = v1::TRANSPORT_UNSPECIFIED;
  std::string peer;
  std::string sas;                  // six digits, once the handshake completed
  bool out_of_band_secret = false;  // NXpsk2 with a PSK both sides knew
  v1::DeviceIdentity device;        // once the target claimed it
  std::string profile_name;
  std::string package_id;
};

struct SessionReport {
  v1::Outcome outcome = v1::OUTCOME_FAILED;
  std::error_code error;     // empty when provisioned
  std::string reason;        // one line for people; never secrets
  bool peer_reported = false;  // error came in the peer's Error/Close frame
  SessionInfo info;
  std::optional<v1::EnrollmentPackage> package;  // target side, when provisioned
  std::uint64_t bytes_sent = 0;      // on the link, length prefixes included
  std::uint64_t bytes_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;

  bool provisioned() const { return outcome == v1::OUTCOME_PROVISIONED; }
};

// A grant is the package (it must have a package_id); a refusal is an Error
// whose code is kda's (rejected, device_busy, rate_limited, store_full, ...)
// and whose detail is the line the target is shown.
using AuthorizationDecision = Result<PreparedPackage>;

// Threading: one rule, kdad's. Every call comes on the session's executor,
// and `done` runs there too, inside authorize() or later from a handler on
// that executor's io_context. kdad runs its sessions, its control socket and
// its EnrollmentService on one io_context thread, so the service keeps plain
// maps and needs no lock; a backend that decides on another thread posts
// `done` back. Checked builds (thread_check.h) abort when `done` runs
// anywhere else.
class EnrollmentBackend {
 public:
  virtual ~EnrollmentBackend() = default;

  // Profiles this primary advertises to the target, before the SAS is known.
  virtual v1::ProfileOffer offer(const SessionInfo& session) = 0;
  // Decides on the target's claim. `done` is called once, on the session's
  // executor, possibly much later (an admin confirming the SAS code); after
  // on_finished it may be dropped uncalled, and a late call does nothing.
  virtual void authorize(const SessionInfo& session, const v1::EnrollRequest& request,
                         std::function<void(AuthorizationDecision)> done) = 0;
  // The package transfer is about to start (ledger: Provisioning). Nothing
  // of the package leaves until this returns; an error (a kda Errc such as
  // store_unavailable or store_full, and a line for the target) ends the
  // session there: the target gets an Authorization refusal with that code
  // instead of the first chunk. A coroutine, like on_acknowledged: kdad
  // writes its ledger on a store thread and the session waits without
  // holding its io_context (it resumes on the session's executor).
  virtual asio::awaitable<Result<void>> on_transfer_started(const SessionInfo& session) = 0;
  // The target acknowledged the package (ledger: Provisioned). The final
  // Result goes out only after this returns; an error goes to the target as
  // an Error frame instead, so it never believes itself provisioned while
  // the ledger says otherwise.
  virtual asio::awaitable<Result<void>> on_acknowledged(const SessionInfo&) { co_return Result<void>{}; }
  // Exactly once per session, with its final outcome.
  virtual void on_finished(const SessionReport& report) = 0;
};

}  // namespace kda
