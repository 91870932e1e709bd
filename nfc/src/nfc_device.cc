#include "kda/nfc/nfc_device.h"

#include <nfc/nfc.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "kda/nfc/dep_fragment.h"

namespace kda::nfc {
namespace {

// libnfc keeps the general bytes in fixed arrays (48 bytes).
constexpr std::size_t kMaxGeneralBytes = 48;

class LibnfcCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "libnfc"; }
  std::string message(int value) const override {
    switch (value) {
      case NFC_EIO: return "input/output error";
      case NFC_EINVARG: return "invalid argument";
      case NFC_EDEVNOTSUPP: return "operation not supported by the device";
      case NFC_ENOTSUCHDEV: return "no such device";
      case NFC_EOVFLOW: return "buffer overflow";
      case NFC_ETIMEOUT: return "timeout";
      case NFC_EOPABORTED: return "operation aborted";
      case NFC_ENOTIMPL: return "not implemented";
      case NFC_ETGRELEASED: return "target released";
      case NFC_ERFTRANS: return "RF transmission error";
      case NFC_EMFCAUTHFAIL: return "MIFARE authentication failed";
      case NFC_ESOFT: return "software error";
      case NFC_ECHIP: return "device's internal chip error";
    }
    return "libnfc error " + std::to_string(value);
  }
};

Error device_error(int code, std::string detail) { return Error({code, libnfc_category()}, std::move(detail)); }

}  // namespace

const std::error_category& libnfc_category() noexcept {
  static const LibnfcCategory category;
  return category;
}

DeviceResult<std::unique_ptr<NfcDevice>> NfcDevice::open(const std::string& connstring) {
  if (connstring.empty() || connstring.size() >= NFC_BUFSIZE_CONNSTRING)
    return tl::unexpected(device_error(NFC_EINVARG, "nfc: connstring '" + connstring + "' is empty or too long"));
  nfc_context* context = nullptr;
  nfc_init(&context);
  if (!context) return tl::unexpected(device_error(NFC_ESOFT, "nfc: libnfc could not initialise (nfc_init)"));
  nfc_connstring cs{};
  std::memcpy(cs, connstring.c_str(), connstring.size() + 1);
  nfc_device* device = nfc_open(context, cs);
  if (!device) {
    nfc_exit(context);
    return tl::unexpected(device_error(NFC_ENOTSUCHDEV, "nfc: cannot open device '" + connstring +
                                                            "' (no reader answered; check the connstring and permissions)"));
  }
  return std::unique_ptr<NfcDevice>(new NfcDevice(context, device, connstring));
}

NfcDevice::NfcDevice(nfc_context* context, nfc_device* device, std::string connstring)
    : context_(context), device_(device), connstring_(std::move(connstring)) {}

NfcDevice::~NfcDevice() {
  nfc_close(device_);
  nfc_exit(context_);
}

std::string NfcDevice::name() const { return nfc_device_get_name(device_); }

Error NfcDevice::error(const char* what, int code) const {
  return device_error(code, std::string("nfc ") + connstring_ + ": " + what + " failed: " + nfc_strerror(device_) +
                                " (" + std::to_string(code) + ")");
}

DeviceResult<void> NfcDevice::initiator_init() {
  if (int r = nfc_initiator_init(device_); r < 0) return tl::unexpected(error("initiator init", r));
  return {};
}

DeviceResult<std::optional<Bytes>> NfcDevice::select_dep_target(ByteView general_bytes, int timeout_ms) {
  nfc_dep_info info{};
  std::memcpy(info.abtNFCID3, "\x01\xfe\x6b\x64\x61\x00\x00\x00\x00\x00", 10);  // "kda"
  info.szGB = std::min(general_bytes.size(), kMaxGeneralBytes);
  std::copy_n(general_bytes.begin(), info.szGB, info.abtGB);
  nfc_target target{};
  const int r = nfc_initiator_select_dep_target(device_, NDM_PASSIVE, NBR_424, &info, &target, timeout_ms);
  // No target within the window: a timeout or an RF timeout from the chip.
  if (r == 0 || r == NFC_ETIMEOUT || r == NFC_ERFTRANS) return std::optional<Bytes>{};
  if (r < 0) return tl::unexpected(error("DEP target selection", r));
  // libnfc's structs are packed: copy fields out before taking references.
  const std::size_t gb_size = target.nti.ndi.szGB;
  const std::uint8_t* gb = target.nti.ndi.abtGB;
  return std::optional<Bytes>(Bytes(gb, gb + std::min(gb_size, kMaxGeneralBytes)));
}

DeviceResult<Bytes> NfcDevice::transceive(ByteView pdu, int timeout_ms) {
  if (pdu.size() > kMaxPdu) return tl::unexpected(device_error(NFC_EINVARG, "nfc: exchange above 262 bytes refused"));
  std::array<std::uint8_t, kMaxPdu + 2> rx{};
  const int r = nfc_initiator_transceive_bytes(device_, pdu.data(), pdu.size(), rx.data(), rx.size(), timeout_ms);
  if (r < 0) return tl::unexpected(error("DEP exchange", r));
  return Bytes(rx.begin(), rx.begin() + r);
}

void NfcDevice::deselect() { nfc_initiator_deselect_target(device_); }

DeviceResult<std::optional<Bytes>> NfcDevice::target_init(ByteView general_bytes, int timeout_ms) {
  nfc_target target{};
  target.nm = {NMT_DEP, NBR_UNDEFINED};
  auto& dep = target.nti.ndi;
  std::memcpy(dep.abtNFCID3, "\x01\xfe\x6b\x64\x61\x74\x00\x00\x00\x00", 10);  // "kdat"
  dep.szGB = std::min(general_bytes.size(), kMaxGeneralBytes);
  std::copy_n(general_bytes.begin(), dep.szGB, dep.abtGB);
  dep.ndm = NDM_UNDEFINED;
  std::array<std::uint8_t, kMaxPdu + 2> rx{};
  const int r = nfc_target_init(device_, &target, rx.data(), rx.size(), timeout_ms);
  // After a timeout libnfc idles the chip and returns 0 (or -6 with
  // nfc_strerror saying "Success"): both mean "nobody came".
  if (r == 0 || r == NFC_ETIMEOUT) return std::optional<Bytes>{};
  if (r < 0) return tl::unexpected(error("target init", r));
  // rx: ATR_REQ = LEN D4 00 NFCID3i(10) DIDi BSi BRi PPi Gi...
  Bytes gi;
  if (r > 17) gi.assign(rx.begin() + 17, rx.begin() + r);
  return std::optional<Bytes>(std::move(gi));
}

DeviceResult<bool> NfcDevice::card_init(int timeout_ms) {
  nfc_target target{};
  target.nm = {NMT_ISO14443A, NBR_UNDEFINED};
  auto& card = target.nti.nai;
  card.abtAtqa[0] = 0x00;
  card.abtAtqa[1] = 0x04;
  // The PN532 emulates a 4-byte UID whose first byte is 08 ("random UID").
  std::memcpy(card.abtUid, "\x08\x6b\x64\x61", 4);
  card.szUidLen = 4;
  card.btSak = 0x20;  // ISO/IEC 14443-4 compliant: the chip answers RATS itself
  std::array<std::uint8_t, kMaxPdu + 2> rx{};
  const int r = nfc_target_init(device_, &target, rx.data(), rx.size(), timeout_ms);
  if (r == NFC_ETIMEOUT) return false;
  if (r < 0) return tl::unexpected(error("card init", r));
  return true;
}

DeviceResult<Bytes> NfcDevice::target_receive(int timeout_ms) {
  std::array<std::uint8_t, kMaxPdu + 2> rx{};
  const int r = nfc_target_receive_bytes(device_, rx.data(), rx.size(), timeout_ms);
  if (r < 0) return tl::unexpected(error("DEP receive", r));
  return Bytes(rx.begin(), rx.begin() + r);
}

DeviceResult<void> NfcDevice::target_send(ByteView pdu, int timeout_ms) {
  if (pdu.size() > kMaxPdu) return tl::unexpected(device_error(NFC_EINVARG, "nfc: exchange above 262 bytes refused"));
  if (int r = nfc_target_send_bytes(device_, pdu.data(), pdu.size(), timeout_ms); r < 0)
    return tl::unexpected(error("DEP send", r));
  return {};
}

void NfcDevice::abort() { nfc_abort_command(device_); }

void NfcDevice::idle() { nfc_idle(device_); }

}  // namespace kda::nfc
