#include "kda/core/frames.h"

#include "kda/core/frame_limits.h"

namespace kda::frames {

v1::Frame hello(v1::TransportKind transport, v1::NoisePattern pattern) {
  v1::Frame f;
  auto* h = f.mutable_hello();
  h->set_protocol_version(kProtocolVersion);
  h->set_role(v1::ROLE_TARGET);
  h->set_transport(transport);
  h->set_noise_pattern(pattern);
  return f;
}

v1::Frame handshake(ByteView noise_message) {
  v1::Frame f;
  f.mutable_handshake()->set_noise_message(noise_message.data(), noise_message.size());
  return f;
}

v1::Frame sealed(std::uint64_t counter, ByteView ciphertext) {
  v1::Frame f;
  f.mutable_sealed()->set_counter(counter);
  f.mutable_sealed()->set_ciphertext(ciphertext.data(), ciphertext.size());
  return f;
}

v1::Frame error(std::uint32_t code, std::string message) {
  v1::Frame f;
  f.mutable_error()->set_code(code);
  f.mutable_error()->set_message(std::move(message));
  return f;
}

v1::Frame error(Errc code, std::string message) { return error(static_cast<std::uint32_t>(code), std::move(message)); }

v1::Frame unsupported_version(std::uint32_t target_version) {
  v1::Frame f = error(Errc::unsupported_version, "target speaks protocol version " + std::to_string(target_version) +
                                                     "; this primary speaks version " + std::to_string(kProtocolVersion));
  f.mutable_error()->set_supported_version(kProtocolVersion);
  return f;
}

v1::Frame close(std::uint32_t code, std::string reason) {
  v1::Frame f;
  f.mutable_close()->set_code(code);
  f.mutable_close()->set_reason(std::move(reason));
  return f;
}

v1::Frame profile_offer(v1::ProfileOffer offer) {
  v1::Frame f;
  *f.mutable_profile_offer() = std::move(offer);
  return f;
}

v1::Frame enroll_request(const v1::DeviceIdentity& device, std::string profile_name) {
  v1::Frame f;
  *f.mutable_enroll_request()->mutable_device() = device;
  f.mutable_enroll_request()->set_profile_name(std::move(profile_name));
  return f;
}

v1::Frame refusal(Errc code, std::string reason) {
  v1::Frame f;
  f.mutable_authorization()->set_code(static_cast<std::uint32_t>(code));
  f.mutable_authorization()->set_reason(std::move(reason));
  return f;
}

v1::Frame package_chunk(std::uint64_t offset, std::uint64_t total, ByteView data, ByteView sha256) {
  v1::Frame f;
  auto* c = f.mutable_package_chunk();
  c->set_offset(offset);
  c->set_total(total);
  c->set_data(data.data(), data.size());
  c->set_sha256(sha256.data(), sha256.size());
  return f;
}

v1::Frame ack() {
  v1::Frame f;
  f.mutable_ack();
  return f;
}

v1::Frame result(v1::Outcome outcome, std::uint32_t code, std::string reason) {
  v1::Frame f;
  f.mutable_result()->set_outcome(outcome);
  f.mutable_result()->set_code(code);
  f.mutable_result()->set_reason(std::move(reason));
  return f;
}

v1::Frame keep_alive() {
  v1::Frame f;
  f.mutable_keep_alive();
  return f;
}

}  // namespace kda::frames
