// TCP as a radio: kdad listens on [transports.tcp] listen, kda-target
// connects to --tcp HOST:PORT. The same descriptor shape as every radio.
#include "kda/core/radio.h"
#include "kda/core/tcp_transport.h"

namespace kda {
namespace {

std::string check_host_port(std::string_view value) {
  return parse_host_port(value) ? "" : "expected HOST:PORT or [IPv6]:PORT";
}

Result<PrimaryTransport> start_tcp(const PrimaryContext& context) {
  const std::string& listen = context.settings.at("listen");
  auto listener = TcpListener::bind(context.io.get_executor(), listen);
  if (!listener) return fail(listener.error().code, "tcp " + listen + ": " + listener.error().message());
  // The address as bound: port 0 becomes the port the kernel picked.
  auto where = parse_host_port(listen);
  const bool v6 = where->host.find(':') != std::string::npos;
  std::string address = (v6 ? "[" + where->host + "]" : where->host) + ":" + std::to_string((*listener)->port());
  return PrimaryTransport{std::move(*listener), nullptr, std::move(address)};
}

Result<std::unique_ptr<Connector>> tcp_connector(const TargetContext& context) {
  return std::make_unique<TcpConnector>(context.io.get_executor());
}

}  // namespace

const Radio& tcp_radio() {
  static const Radio radio{
      .config = {.name = "tcp",
                 .enabled_by_default = true,
                 .keys = {{.name = "listen",
                           .help = "HOST:PORT or [IPv6]:PORT; port 0 picks a free one",
                           .example = "127.0.0.1:4711",
                           .default_value = "127.0.0.1:4711",
                           .check = check_host_port}}},
      .kind = v1::TRANSPORT_TCP,
      .required_when_enabled = true,
      .target = {.flag = "--tcp",
                 .value = TargetOption::Value::address,
                 .value_name = "HOST:PORT",
                 .help = "Primary address over TCP: HOST:PORT, [IPv6]:PORT",
                 .check = check_host_port},
      .status = [](const Listener&) { return std::string("listening"); },
      .start_primary = start_tcp,
      .make_connector = tcp_connector,
  };
  return radio;
}

}  // namespace kda
