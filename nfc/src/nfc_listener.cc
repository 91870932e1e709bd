#include <atomic>
#include <condition_variable>
#include <mutex>

#include "dep_pump.h"
#include "kda/core/link_queue.h"
#include "kda/nfc/nfc_transport.h"

namespace kda::nfc {
namespace {

constexpr int kSelectWindowMs = 1000;                          // one DEP activation attempt
constexpr std::chrono::milliseconds kAfterErrorPause{1000};   // the reader misbehaved
constexpr std::chrono::milliseconds kForeignTargetPause{500};  // a phone without kda

}  // namespace

Bytes kda_general_bytes() { return {'k', 'd', 'a', 0x01}; }

bool is_kda_general_bytes(ByteView gb) { return gb.size() >= 4 && gb[0] == 'k' && gb[1] == 'd' && gb[2] == 'a'; }

struct NfcListener::State : std::enable_shared_from_this<NfcListener::State> {
  explicit State(asio::any_io_executor ex, NfcOptions opts)
      : executor(ex), options(std::move(opts)), links(ex) {}
  asio::any_io_executor executor;
  NfcOptions options;
  std::unique_ptr<NfcDevice> device;  // device thread only (abort(): any thread)
  // executor only
  LinkQueue links;
  // shared
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::shared_ptr<DepChannel> active;  // guarded by mu

  void log(TransportEvent e, std::string line) { post_log(executor, options.log, e, std::move(line)); }
  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, d, [&] { return stopping.load(); });
  }

  // The device thread: poll for a kda target, pump its link, poll again.
  void run() {
    if (auto r = device->initiator_init(); !r) log(TransportEvent::error, r.error().message());
    log(TransportEvent::info, "nfc: polling for targets on " + device->name());
    while (!stopping) {
      auto found = device->select_dep_target(kda_general_bytes(), kSelectWindowMs);
      if (stopping) break;
      if (!found) {
        log(TransportEvent::warning, found.error().message());
        pause(kAfterErrorPause);
        continue;
      }
      if (!*found) continue;
      if (!is_kda_general_bytes(**found)) {
        log(TransportEvent::info, "nfc: a DEP target without kda's general bytes came into the field; ignored");
        device->deselect();
        pause(kForeignTargetPause);
        continue;
      }
      auto channel = std::make_shared<DepChannel>(executor);
      {
        std::lock_guard lock(mu);
        active = channel;
      }
      asio::post(executor, [self = shared_from_this(), channel] {
        if (self->links.closed()) return channel->stop();
        self->links.push(LinkPtr(std::make_unique<DepLink>(channel, "nfc " + self->options.connstring, true)));
      });
      pump_as_initiator(*device, *channel, options.log);
      {
        std::lock_guard lock(mu);
        active.reset();
      }
      device->deselect();
      if (!stopping && device->initiator_init().has_value() == false)
        log(TransportEvent::warning, "nfc: " + device->connstring() + ": initiator re-init failed");
    }
    device->idle();
  }

  void stop() {
    stopping = true;
    {
      std::lock_guard lock(mu);
      if (active) active->stop();
    }
    cv.notify_all();
    device->abort();
  }
};

Result<std::unique_ptr<NfcListener>> NfcListener::open(asio::any_io_executor executor, NfcOptions options) {
  auto device = NfcDevice::open(options.connstring);
  if (!device) return tl::unexpected(device.error());
  auto state = std::make_shared<State>(executor, std::move(options));
  state->device = std::move(*device);
  std::thread thread([state] { state->run(); });
  return std::unique_ptr<NfcListener>(new NfcListener(std::move(state), std::move(thread)));
}

NfcListener::NfcListener(std::shared_ptr<State> state, std::thread thread)
    : state_(std::move(state)), thread_(std::move(thread)) {}

NfcListener::~NfcListener() {
  close();
  state_->stop();
  if (thread_.joinable()) thread_.join();
}

asio::awaitable<Result<LinkPtr>> NfcListener::accept() {
  auto state = state_;  // outlives the listener while this waits
  co_return co_await state->links.accept();
}

void NfcListener::close() {
  if (state_->links.closed()) return;
  // The device first: a link still queued ends without a CLOSE on the air,
  // as the reader is going away.
  state_->stop();
  state_->links.close();
}

std::string NfcListener::describe() const { return "nfc " + state_->options.connstring + " (DEP initiator)"; }

}  // namespace kda::nfc
