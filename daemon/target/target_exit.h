// How kda-target reports the end of an enrollment to scripts.
#pragma once

#include <string>

#include "kda/core/enrollment_backend.h"
#include "kda/daemon/command_line.h"

namespace kda {

using daemon::kExitUsage;

inline constexpr int kExitProvisioned = 0;
inline constexpr int kExitFailed = 1;     // the primary reported a failure
inline constexpr int kExitRejected = 3;   // unknown, unapproved or refused device
inline constexpr int kExitCancelled = 4;  // cancelled here (Ctrl-C) or by the primary
inline constexpr int kExitProtocol = 5;   // framing, handshake, crypto or digest error
inline constexpr int kExitTransport = 6;  // cannot connect, link lost, timeout

inline constexpr const char* kExitStatusHelp =
    "Exit status: 0 provisioned, 1 failed, 2 usage error, 3 rejected, 4 cancelled,\n"
    "             5 protocol error, 6 transport error (unreachable, link lost, timeout).";

inline int exit_status(const SessionReport& r) {
  if (r.provisioned()) return kExitProvisioned;
  if (r.outcome == v1::OUTCOME_REJECTED) return kExitRejected;
  if (r.outcome == v1::OUTCOME_CANCELLED || r.error == Errc::cancelled || r.error == Errc::shutdown)
    return kExitCancelled;
  const int code = r.error.category() == kda_category() ? r.error.value() : 0;
  if ((code >= 100 && code < 300) || code == 303 || code == 304) return kExitProtocol;
  if (code == 300 || code >= 400) return kExitTransport;
  return kExitFailed;
}

inline std::string outcome_word(const SessionReport& r) {
  switch (exit_status(r)) {
    case kExitProvisioned: return "provisioned";
    case kExitRejected: return "rejected";
    case kExitCancelled: return "cancelled";
    case kExitProtocol: return "protocol error";
    case kExitTransport: return "transport error";
    default: return "failed";
  }
}

}  // namespace kda
