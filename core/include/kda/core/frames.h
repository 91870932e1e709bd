// One builder per frame kind of kda.v1.Frame (proto/kda.proto), the only
// place the sessions, the channel and kdad put frames together; the
// validator (frame_validator.h) is their reading counterpart. Sealed frames
// and the package chunks the primary sends are written by SecureChannel
// straight into its buffer; package_chunk() and sealed() here are what
// that encoding must equal.
#pragma once

#include <cstdint>
#include <string>

#include "kda/core/bytes.h"
#include "kda/core/error.h"
#include "kda/proto/kda.pb.h"

namespace kda::frames {

// Target -> primary, first frame, in clear. Handshake message 1 is bound to
// the other fields (handshake_prologue), so the caller sets it once the
// handshake is created from this frame: mutable_hello()->set_noise_message().
v1::Frame hello(v1::TransportKind transport, v1::NoisePattern pattern);
// Primary -> target: handshake message 2 (its payload a profile_offer frame).
v1::Frame handshake(ByteView noise_message);
v1::Frame sealed(std::uint64_t counter, ByteView ciphertext);

// Either side, ends the session: an Error for a failure, a Close for an
// orderly end (shutdown, cancel, refusal).
v1::Frame error(std::uint32_t code, std::string message);
v1::Frame error(Errc code, std::string message);
// The primary's answer to a Hello of another protocol version.
v1::Frame unsupported_version(std::uint32_t target_version);
v1::Frame close(std::uint32_t code, std::string reason);

v1::Frame profile_offer(v1::ProfileOffer offer);
v1::Frame enroll_request(const v1::DeviceIdentity& device, std::string profile_name);
// A refusal; a grant has no frame of its own (the first chunk answers).
v1::Frame refusal(Errc code, std::string reason);
// `sha256` is empty except in the last chunk.
v1::Frame package_chunk(std::uint64_t offset, std::uint64_t total, ByteView data, ByteView sha256);
v1::Frame ack();
// The primary's last frame; code and reason with an outcome other than provisioned.
v1::Frame result(v1::Outcome outcome, std::uint32_t code = 0, std::string reason = {});
v1::Frame keep_alive();

}  // namespace kda::frames
