#include "t4t_reader.h"

#include <nfc/nfc.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace kda::test {
namespace {

Bytes read_binary(std::size_t offset, std::size_t length) {
  return {0x00, 0xB0, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset),
          static_cast<std::uint8_t>(length)};
}

}  // namespace

std::string status_word(const Bytes& r) { return r.size() < 2 ? "" : to_hex(ByteView(r).last(2)); }

T4tReader::T4tReader(const std::string& connstring) {
  nfc_init(&context_);
  if (!context_) throw std::runtime_error("nfc_init failed");
  nfc_connstring cs{};
  std::strncpy(cs, connstring.c_str(), sizeof cs - 1);
  device_ = nfc_open(context_, cs);
  if (!device_ || nfc_initiator_init(device_) < 0) {
    if (device_) nfc_close(device_);
    nfc_exit(context_);
    throw std::runtime_error("cannot open " + connstring + " as initiator");
  }
}

T4tReader::~T4tReader() {
  nfc_close(device_);
  nfc_exit(context_);
}

bool T4tReader::find_tag(std::chrono::milliseconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  const nfc_modulation type_a{NMT_ISO14443A, NBR_106};
  do {
    nfc_target target{};
    if (nfc_initiator_select_passive_target(device_, type_a, nullptr, 0, &target) > 0) {
      const bool iso_dep = (target.nti.nai.btSak & 0x20) != 0 && target.nti.nai.szAtsLen > 0;
      if (iso_dep) return true;
      nfc_initiator_deselect_target(device_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

Result<Bytes> T4tReader::transceive(const Bytes& apdu) {
  std::array<std::uint8_t, 264> rx{};
  const int r = nfc_initiator_transceive_bytes(device_, apdu.data(), apdu.size(), rx.data(), rx.size(), 2000);
  if (r < 0) return fail(Errc::link_failed, std::string("transceive: ") + nfc_strerror(device_));
  return Bytes(rx.begin(), rx.begin() + r);
}

Result<Bytes> T4tReader::expect_ok(const Bytes& apdu, const char* step) {
  auto r = transceive(apdu);
  if (!r) return r;
  if (status_word(*r) != "9000") return fail(Errc::invalid_frame, std::string(step) + ": " + to_hex(*r));
  r->resize(r->size() - 2);
  return r;
}

Result<Bytes> T4tReader::read_ndef() {
  const Bytes select_app{0x00, 0xA4, 0x04, 0x00, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00};
  if (auto r = expect_ok(select_app, "SELECT NDEF Tag Application"); !r) return r;
  if (auto r = expect_ok({0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x03}, "SELECT CC"); !r) return r;
  auto cc = expect_ok(read_binary(0, 15), "READ CC");
  if (!cc) return cc;
  cc_ = *cc;
  // CCLEN(2) mapping(1) MLe(2) MLc(2) T(1) L(1) file id(2) size(2) read(1) write(1).
  if (cc_.size() != 15 || cc_[2] >> 4 != 2 || cc_[7] != 0x04 || cc_[13] != 0x00)
    return fail(Errc::invalid_frame, "not a readable mapping 2.0 CC: " + to_hex(cc_));
  const std::size_t mle = std::min<std::size_t>((cc_[3] << 8) | cc_[4], 255);
  const Bytes select_ndef{0x00, 0xA4, 0x00, 0x0C, 0x02, cc_[9], cc_[10]};
  if (auto r = expect_ok(select_ndef, "SELECT NDEF file"); !r) return r;
  auto nlen = expect_ok(read_binary(0, 2), "READ NLEN");
  if (!nlen) return nlen;
  if (nlen->size() != 2) return fail(Errc::invalid_frame, "NLEN is not 2 bytes");
  const std::size_t size = static_cast<std::size_t>(((*nlen)[0] << 8) | (*nlen)[1]);
  Bytes message;
  while (message.size() < size) {
    auto part = expect_ok(read_binary(2 + message.size(), std::min(mle, size - message.size())), "READ NDEF");
    if (!part) return part;
    if (part->empty()) return fail(Errc::invalid_frame, "READ NDEF answered no bytes");
    message.insert(message.end(), part->begin(), part->end());
  }
  return message;
}

void T4tReader::release() { nfc_initiator_deselect_target(device_); }

}  // namespace kda::test
