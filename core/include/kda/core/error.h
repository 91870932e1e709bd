// Error codes of the kda session protocol and its transports.
// Every failure the session layer reports is a std::error_code in kda's
// category; the numeric values travel in Error frames (docs/PROTOCOL.md).
#pragma once

#include <string>
#include <system_error>

#include <tl/expected.hpp>

namespace kda {

enum class Errc {
  ok = 0,
  // Framing and schema (1xx).
  frame_too_large = 100,     // length prefix above the maximum frame size
  malformed_frame = 101,     // bytes are not a valid Frame message
  unknown_frame_type = 102,  // Frame body is a type this version does not know
  invalid_frame = 103,       // a known frame type with missing or bad fields
  unexpected_frame = 104,    // valid frame, wrong for the session state
  unsupported_version = 105, // peer speaks a protocol version we do not
  // Secure channel (2xx).
  handshake_failed = 200,    // Noise handshake message did not authenticate
  peer_key_mismatch = 201,   // primary's static key differs from the pinned one
  psk_required = 202,        // one side needs an out-of-band secret the other lacks
  decrypt_failed = 203,      // transport message altered or wrong key
  replayed_frame = 204,      // counter below the next expected one
  reordered_frame = 205,     // counter above the next expected one
  counter_exhausted = 206,   // nonce space used up
  // Session (3xx).
  timeout = 300,             // a deadline passed while waiting for the peer
  rejected = 301,            // primary refused this device
  cancelled = 302,           // user or admin cancelled
  package_digest_mismatch = 303,
  package_too_large = 304,
  peer_error = 305,          // peer reported a failure but gave no code
  shutdown = 306,            // local side is stopping
  internal_error = 307,
  store_unavailable = 308,   // the primary cannot write its ledger; nothing was sent
  store_full = 309,          // the primary's disk is full; nothing was sent
  device_busy = 310,         // another session for this device is under way
  rate_limited = 311,        // too many sessions or refused claims from this source
  // Link (4xx).
  link_closed = 400,         // peer closed or link dropped
  link_failed = 401,         // I/O error on the carrier
  connect_failed = 402,
};

const std::error_category& kda_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), kda_category()};
}

// The code a frame carries for `ec`: its own value when it is kda's, else
// internal_error (a peer knows only kda's codes).
inline Errc wire_errc(const std::error_code& ec) noexcept {
  return ec.category() == kda_category() ? static_cast<Errc>(ec.value()) : Errc::internal_error;
}

}  // namespace kda

template <>
struct std::is_error_code_enum<kda::Errc> : std::true_type {};

namespace kda {

// kda's one error shape. `code` is stable: programs branch on it, Error
// frames carry kda_category() values, and the control socket and the HTTP API
// map a daemon category's codes to their answers (docs/ERRORS.md). `detail` is
// one line for a person, saying what is wrong and where ("tcp 10.0.0.1:99:
// cannot bind"); it may be empty, and never holds a secret.
struct Error {
  std::error_code code;
  std::string detail;

  Error() = default;
  Error(std::error_code c, std::string d = {}) : code(c), detail(std::move(d)) {}
  Error(Errc e, std::string d = {}) : code(make_error_code(e)), detail(std::move(d)) {}

  // The line to show: the detail, or the code's own text when there is none.
  std::string message() const { return detail.empty() ? code.message() : detail; }
  explicit operator bool() const { return static_cast<bool>(code); }
  friend bool operator==(const Error& e, Errc c) { return e.code == make_error_code(c); }
  friend bool operator==(const Error& e, const std::error_code& c) { return e.code == c; }
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc e, std::string detail = {}) {
  return tl::unexpected(Error(e, std::move(detail)));
}
inline tl::unexpected<Error> fail(std::error_code code, std::string detail = {}) {
  return tl::unexpected(Error(code, std::move(detail)));
}
// A POSIX code (std::errc::invalid_argument for input a pure function refuses).
inline tl::unexpected<Error> fail(std::errc code, std::string detail = {}) {
  return fail(std::make_error_code(code), std::move(detail));
}

}  // namespace kda
