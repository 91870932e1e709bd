// kdactl nfc tag: the desk's NFC reader armed as a provisioning tag (a Type 4
// Tag holding one profile's NDEF record) for N reads or T seconds, or until
// kdactl nfc untag. Each
// completed read is a ledger event of the profile and the desk. The record
// carries the enrollment token and Wi-Fi password: it goes to the reader and
// nowhere else (no log line, no answer).
#include "control_answers.h"
#include "kda/core/radio.h"
#include "kda/daemon/android_provisioning.h"
#include "kda/daemon/clock.h"

namespace kda::daemon {
namespace {

constexpr std::uint32_t kDefaultReads = 1;
constexpr std::uint32_t kMaxReads = 100;
constexpr std::uint32_t kDefaultSeconds = 60;
constexpr std::uint32_t kMaxSeconds = 3600;  // an hour: never left broadcasting for long

// The record `kdactl profile ndef` writes, with PROVISIONING_LOCAL_TIME the
// desk's clock at this arming.
Result<Bytes> tag_record(const v1::EnrollmentProfile& profile) {
  auto extras = profile_record_extras(profile);
  if (!extras) return tl::unexpected(extras.error());
  return provisioning_ndef_message(*extras, unix_ms());
}

}  // namespace

v1::ControlResponse ControlService::nfc_tag(const std::string& customer, const v1::NfcTagRequest& r) {
  const std::uint32_t reads = r.reads() == 0 ? kDefaultReads : r.reads();
  const std::uint32_t seconds = r.seconds() == 0 ? kDefaultSeconds : r.seconds();
  if (reads > kMaxReads)
    return failed(ControlErrc::bad_request, "--reads must be 1 to " + std::to_string(kMaxReads));
  if (seconds > kMaxSeconds)
    return failed(ControlErrc::bad_request, "--for must be 1 to " + std::to_string(kMaxSeconds) + " seconds");
  const std::string name = r.profile();
  const auto* p = catalog_.find(customer, name);
  if (!p) return failed(CatalogErrc::unknown_profile, "no profile named \"" + name + "\"");
  if (!facts_.arm_tag) return failed(ControlErrc::bad_request, "kdad has no NFC reader");
  auto record = tag_record(*p);
  if (!record) return failed(record.error().code, "profile \"" + name + "\": " + record.error().detail);
  TagRequest request{.ndef_message = std::move(*record), .reads = static_cast<int>(reads),
                     .duration = std::chrono::seconds(seconds)};
  request.on_read = [this, name, customer, reads](int n) {
    const std::string of = std::to_string(n) + " of " + std::to_string(reads);
    LedgerEntry read{.transport = "nfc", .reason = "read " + of, .primary = facts_.primary_id, .desk = facts_.name,
                     .event = std::string(kEventProvisioningTagRead), .profile = name, .customer = customer};
    log_.info("nfc: a phone read the provisioning tag of profile \"" + name + "\" (" + of + ")");
    asio::co_spawn(
        facts_.executor,
        [this, read = std::move(read), name]() -> asio::awaitable<void> {
          const auto write = [read](StateStore& st) { return st.record_event(read); };
          auto written = co_await sessions_store_.run(write);
          if (!written)
            log_.warning("ledger: provisioning tag read of profile \"" + name + "\": " + written.error().message());
        },
        asio::detached);
  };
  request.on_end = [this, name](const std::string& how) {
    log_.info("nfc: provisioning tag of profile \"" + name + "\" disarmed after " + how);
  };
  const auto until = unix_ms() + std::int64_t{seconds} * 1000;
  auto reader = facts_.arm_tag(std::move(request));
  if (!reader) {
    const bool busy = reader.error() == Errc::device_busy;
    return failed(busy ? make_error_code(ControlErrc::busy) : reader.error().code, reader.error().message());
  }
  log_.info("nfc: " + *reader + " armed as the provisioning tag of profile \"" + name + "\" for " +
            std::to_string(reads) + (reads == 1 ? " read" : " reads") + " or " + std::to_string(seconds) + " s");
  auto answer = ok();
  auto* armed = answer.mutable_nfc_tag();
  armed->set_profile(name);
  armed->set_reads(reads);
  armed->set_seconds(seconds);
  armed->set_until_ms(until);
  armed->set_reader(*reader);
  return answer;
}

// The admin ends it early (kdactl nfc untag); on_end logs "disarmed".
v1::ControlResponse ControlService::nfc_untag() {
  if (!facts_.disarm_tag || !facts_.disarm_tag()) return failed(ControlErrc::bad_request, "no NFC reader is armed as a tag");
  return ok();
}

}  // namespace kda::daemon
