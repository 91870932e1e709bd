// NFC as kdad and kda-target see it: [transports.nfc] connstring (the desk's
// reader, polling as DEP initiator) and kda-target --nfc CONNSTRING (the
// phone's side of the bump, a DEP target).
#include "kda/core/radio.h"
#include "kda/nfc/nfc_transport.h"

namespace kda::nfc {
namespace {

// NFC publishes nothing ahead of the bump, so there is no advertiser.
Result<PrimaryTransport> start(const PrimaryContext& context) {
  const auto connstring = context.settings.find("connstring");
  if (connstring == context.settings.end())
    return fail(Errc::connect_failed,
                "nfc: [transports.nfc] connstring is not set (e.g. connstring = \"pn532_uart:/dev/ttyUSB0\")");
  auto listener = NfcListener::open(context.io.get_executor(), {connstring->second, context.log});
  if (!listener) return tl::unexpected(listener.error());
  return PrimaryTransport{std::move(*listener), nullptr, connstring->second};
}

// The connector waits up to the timeout for a reader's field.
Result<std::unique_ptr<Connector>> connector(const TargetContext& context) {
  if (context.device.empty())
    return fail(Errc::connect_failed, "nfc: --nfc needs a libnfc connstring, e.g. pn532_uart:/dev/ttyUSB0");
  auto made = NfcConnector::open(context.io.get_executor(), {context.device, context.log}, context.timeout);
  if (!made) return tl::unexpected(made.error());
  return std::unique_ptr<Connector>(std::move(*made));
}

// kdactl nfc tag: the listener start() made is an NfcListener.
Result<void> arm_tag(Listener& listener, TagRequest request) {
  return static_cast<NfcListener&>(listener).arm_tag(std::move(request));
}
bool disarm_tag(Listener& listener) { return static_cast<NfcListener&>(listener).disarm_tag(); }

}  // namespace

const Radio& radio() {
  static const Radio radio{
      .config = {.name = "nfc",
                 .keys = {{.name = "connstring", .help = "the desk's libnfc reader",
                           .example = "pn532_uart:/dev/ttyUSB0"}}},
      .kind = v1::TRANSPORT_NFC,
      .target = {.flag = "--nfc",
                 .value = TargetOption::Value::device,
                 .value_name = "CONNSTRING",
                 .help = "Enroll over NFC as a DEP target on this libnfc device, e.g. pn532_uart:/dev/ttyUSB0"},
      .start_primary = start,
      .make_connector = connector,
      .arm_tag = arm_tag,
      .disarm_tag = disarm_tag,
  };
  return radio;
}

}  // namespace kda::nfc
