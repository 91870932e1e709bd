#include "wfd_rig.h"

#include <filesystem>

namespace kda::test {

bool LogLines::contains(const std::string& text) const {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

std::string LogLines::all() const {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  io.restart();
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  return done();
}

namespace {
// The desk's and the target's control directories, as /run/wpa_supplicant is.
std::string make_dir(const std::string& path) {
  std::filesystem::create_directories(path);
  return path;
}
}  // namespace

WfdRig::WfdRig(asio::io_context& io_context, AirConfig air_cfg, wifidirect::GroupOwnerOptions desk_opts)
    : io(io_context),
      go_wpa(make_dir(dir.path() + "/desk") + "/wlan0"),
      client_wpa(make_dir(dir.path() + "/target") + "/wlan1"),
      air_config(air_cfg),
      air(go_wpa, client_wpa, air_cfg),
      desk_options(std::move(desk_opts)) {}

std::string WfdRig::unavailable() const { return netns.unavailable(); }

bool WfdRig::start_desk() {
  desk_options.ctrl_interface = go_wpa.path();
  desk_options.open_socket = NetnsPair::factory_in(netns.go_ns);
  desk_options.log = desk_log.sink();
  desk_options.retry_every = std::chrono::milliseconds(200);
  desk = wifidirect::start_group_owner(io.get_executor(), desk_options);
  desk.advertiser->start({.protocol_version = 1, .primary_id = "a1b2c3d4", .profile_count = 2, .name = "Staging Desk"});
  return run_until(io, [&] { return desk_log.contains("advertising _kda._tcp"); });
}

std::unique_ptr<wifidirect::P2pConnector> WfdRig::make_target(wifidirect::ClientOptions options) {
  options.ctrl_interface = client_wpa.path();
  options.open_socket = NetnsPair::factory_in(netns.client_ns);
  options.log = target_log.sink();
  if (options.timeout == wifidirect::ClientOptions{}.timeout) options.timeout = std::chrono::seconds(10);
  return std::make_unique<wifidirect::P2pConnector>(io.get_executor(), std::move(options));
}

std::optional<std::pair<LinkPtr, LinkPtr>> WfdRig::connect(std::chrono::milliseconds timeout) {
  if (!target) target = make_target();
  // Shared: the accept may still be pending when the target failed.
  auto target_end = std::make_shared<std::optional<Result<LinkPtr>>>();
  auto desk_end = std::make_shared<std::optional<Result<LinkPtr>>>();
  asio::co_spawn(io, target->connect(""), [target_end](std::exception_ptr, Result<LinkPtr> l) { target_end->emplace(std::move(l)); });
  asio::co_spawn(io, desk.listener->accept(), [desk_end](std::exception_ptr, Result<LinkPtr> l) { desk_end->emplace(std::move(l)); });
  run_until(io, [&] { return *target_end && (*desk_end || !**target_end); }, timeout);
  if (!*target_end || !**target_end || !*desk_end || !**desk_end) return std::nullopt;
  return std::pair{std::move(***target_end), std::move(***desk_end)};
}

}  // namespace kda::test
