#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "dep_pump.h"
#include "kda/core/link_queue.h"
#include "kda/nfc/nfc_tag.h"
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
  std::optional<TagRequest> tag_job;    // guarded by mu: armed, not yet taken by the device thread
  bool tag_armed = false;               // guarded by mu: from arm_tag until the tag run ends
  std::atomic<bool> tag_cancel{false};

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
      if (auto job = take_tag_job()) {
        run_tag(std::move(*job));
        continue;
      }
      auto found = device->select_dep_target(kda_general_bytes(), kSelectWindowMs);
      if (stopping) break;
      if (tag_pending()) continue;  // the poll was cut short for tag mode
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

  bool tag_pending() {
    std::lock_guard lock(mu);
    return tag_job.has_value();
  }
  std::optional<TagRequest> take_tag_job() {
    std::lock_guard lock(mu);
    return std::exchange(tag_job, std::nullopt);
  }

  Result<void> arm(TagRequest request) {
    auto tag = Type4Tag::make(request.ndef_message);
    if (!tag) return tl::unexpected(tag.error());
    std::lock_guard lock(mu);
    if (stopping) return fail(Errc::shutdown, "nfc: the reader is shutting down");
    if (tag_armed) return fail(Errc::device_busy, "nfc: the reader is already armed as a tag");
    if (active) return fail(Errc::device_busy, "nfc: the reader is in an enrollment session; try again when it ends");
    tag_armed = true;
    tag_cancel = false;
    tag_job = std::move(request);
    // Under the lock: the device thread takes the job only after this abort,
    // so the abort ends the DEP poll, or is consumed before the tag starts.
    device->abort();
    return {};
  }

  bool disarm() {
    std::lock_guard lock(mu);
    if (!tag_armed) return false;
    tag_cancel = true;
    device->abort();
    return true;
  }

  // The device thread: the tag, then the reader polls again.
  void run_tag(TagRequest request) {
    device->idle();  // also takes an abort arm() left pending between two calls
    log(TransportEvent::info, "nfc: " + device->connstring() + " armed as a provisioning tag (" +
                                  std::to_string(request.reads) + " reads or " +
                                  std::to_string(request.duration.count()) + " s)");
    TagRun run{request.reads, std::chrono::steady_clock::now() + request.duration,
               [this, on_read = request.on_read](int n) {
                 if (on_read) asio::post(executor, [on_read, n] { on_read(n); });
               },
               &tag_cancel};
    auto tag = Type4Tag::make(request.ndef_message);
    const TagOutcome outcome = serve_tag(*device, std::move(*tag), run);
    {
      std::lock_guard lock(mu);
      tag_armed = false;
    }
    const std::string how = nfc::describe(outcome);
    log(outcome.end == TagEnd::failed ? TransportEvent::warning : TransportEvent::info,
        "nfc: tag disarmed after " + how);
    if (request.on_end) asio::post(executor, [on_end = request.on_end, how] { on_end(how); });
    if (!stopping && !device->initiator_init())
      log(TransportEvent::warning, "nfc: " + device->connstring() + ": initiator re-init failed");
  }

  void stop() {
    stopping = true;
    tag_cancel = true;
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

Result<void> NfcListener::arm_tag(TagRequest request) { return state_->arm(std::move(request)); }

bool NfcListener::disarm_tag() { return state_->disarm(); }

// kdactl status shows it: while armed the reader is a tag, not polling.
std::string NfcListener::describe() const {
  std::lock_guard lock(state_->mu);
  const char* role = state_->tag_armed ? " (armed as a provisioning tag)" : " (DEP initiator)";
  return "nfc " + state_->options.connstring + role;
}

}  // namespace kda::nfc
