#include <atomic>
#include <optional>

#include "dep_pump.h"
#include "kda/core/signal.h"
#include "kda/nfc/nfc_transport.h"

namespace kda::nfc {
namespace {

constexpr int kTargetInitWindowMs = 1000;  // one wait for a reader's field

}  // namespace

struct NfcConnector::State : std::enable_shared_from_this<NfcConnector::State> {
  State(asio::any_io_executor ex, NfcOptions opts, std::chrono::milliseconds timeout)
      : executor(ex), options(std::move(opts)), activation_timeout(timeout), reported(ex) {}
  asio::any_io_executor executor;
  NfcOptions options;
  std::chrono::milliseconds activation_timeout;
  std::unique_ptr<NfcDevice> device;
  // executor only
  std::optional<Result<std::shared_ptr<DepChannel>>> activated;
  Signal reported;  // set with `activated`
  // shared
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::shared_ptr<DepChannel> active;  // guarded by mu

  void report(Result<std::shared_ptr<DepChannel>> result) {
    asio::post(executor, [self = shared_from_this(), result = std::move(result)] {
      self->activated = result;
      self->reported.set();
    });
  }

  // The device thread: wait for a reader's field, then pump the link.
  void run() {
    const auto deadline = std::chrono::steady_clock::now() + activation_timeout;
    while (!stopping) {
      auto init = device->target_init(kda_general_bytes(), kTargetInitWindowMs);
      if (stopping) break;
      if (!init) {
        post_log(executor, options.log, TransportEvent::error, init.error().message());
        return report(fail(Errc::connect_failed));
      }
      if (*init) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        post_log(executor, options.log, TransportEvent::error,
                 "nfc " + options.connstring + ": no reader's field within the activation timeout");
        return report(fail(Errc::connect_failed));
      }
    }
    if (stopping) return report(fail(Errc::shutdown));
    auto channel = std::make_shared<DepChannel>(executor);
    {
      std::lock_guard lock(mu);
      active = channel;
    }
    post_log(executor, options.log, TransportEvent::info, "nfc: a reader activated us as its DEP target");
    report(channel);
    pump_as_target(*device, *channel, options.log);
  }

  void stop() {
    stopping = true;
    {
      std::lock_guard lock(mu);
      if (active) active->stop();
    }
    device->abort();
  }
};

Result<std::unique_ptr<NfcConnector>> NfcConnector::open(
    asio::any_io_executor executor, NfcOptions options, std::chrono::milliseconds activation_timeout) {
  auto device = NfcDevice::open(options.connstring);
  if (!device) return tl::unexpected(device.error());
  auto state = std::make_shared<State>(executor, std::move(options), activation_timeout);
  state->device = std::move(*device);
  return std::unique_ptr<NfcConnector>(new NfcConnector(std::move(state)));
}

NfcConnector::NfcConnector(std::shared_ptr<State> state) : state_(std::move(state)) {}

NfcConnector::~NfcConnector() {
  state_->stop();
  if (thread_.joinable()) thread_.join();
  state_->device->idle();
}

asio::awaitable<Result<LinkPtr>> NfcConnector::connect(std::string) {
  if (thread_.joinable()) co_return fail(Errc::connect_failed);  // one link per connector
  // The coroutine keeps the state, not the connector: destroying the
  // connector while it waits ends it with `shutdown`.
  auto state = state_;
  thread_ = std::thread([state] { state->run(); });
  co_await state->reported.wait();
  auto result = std::move(*state->activated);
  if (!result) co_return tl::unexpected(result.error());
  co_return LinkPtr(std::make_unique<DepLink>(std::move(*result), "nfc " + state->options.connstring, false));
}

}  // namespace kda::nfc
