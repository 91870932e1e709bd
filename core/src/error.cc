#include "kda/core/error.h"

namespace kda {
namespace {

class KdaCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kda"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok: return "success";
      case Errc::frame_too_large: return "frame exceeds the maximum frame size";
      case Errc::malformed_frame: return "malformed frame";
      case Errc::unknown_frame_type: return "unknown frame type";
      case Errc::invalid_frame: return "frame has missing or invalid fields";
      case Errc::unexpected_frame: return "frame not expected in this session state";
      case Errc::unsupported_version: return "unsupported protocol version";
      case Errc::handshake_failed: return "secure handshake failed (wrong key, wrong PSK or altered message)";
      case Errc::peer_key_mismatch: return "primary's static key does not match the pinned key";
      case Errc::psk_required: return "an out-of-band secret is required by one side";
      case Errc::decrypt_failed: return "transport message failed authentication";
      case Errc::replayed_frame: return "replayed frame (counter already used)";
      case Errc::reordered_frame: return "reordered frame (counter skipped ahead)";
      case Errc::counter_exhausted: return "message counter exhausted";
      case Errc::timeout: return "peer did not answer before the deadline";
      case Errc::rejected: return "enrollment rejected by the primary";
      case Errc::cancelled: return "enrollment cancelled";
      case Errc::package_digest_mismatch: return "enrollment package digest mismatch";
      case Errc::package_too_large: return "enrollment package too large";
      case Errc::peer_error: return "peer reported a failure without a code";
      case Errc::shutdown: return "shutting down";
      case Errc::internal_error: return "internal error";
      case Errc::store_unavailable: return "the primary cannot record this enrollment in its ledger";
      case Errc::store_full: return "the primary's disk is full; it cannot record this enrollment";
      case Errc::device_busy: return "another session for this device is under way";
      case Errc::rate_limited: return "too many sessions from this source; try again later";
      case Errc::link_closed: return "link closed";
      case Errc::link_failed: return "link I/O error";
      case Errc::connect_failed: return "could not connect";
    }
    return "unknown kda error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& kda_category() noexcept {
  static const KdaCategory category;
  return category;
}

}  // namespace kda
