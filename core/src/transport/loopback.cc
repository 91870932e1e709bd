#include "kda/core/loopback.h"

#include <deque>
#include <map>

#include "kda/core/frame_codec.h"
#include "kda/core/link_queue.h"
#include "kda/core/signal.h"
#include "kda/core/thread_check.h"

namespace kda {

// One direction of a connection: a byte stream. Whole frames written while
// no loose bytes are pending are queued as they are, so the reader takes
// them without copying; write_raw bytes (and any frame after them, until the
// reader has drained them) go through the stream as length-prefixed bytes.
// Either way the reader sees the same bytes in the same order.
struct LoopbackLink::Pipe {
  explicit Pipe(asio::any_io_executor ex) : signal(std::move(ex)) {}
  std::deque<Bytes> frames;  // whole frame bodies, in order, before any loose bytes
  Bytes buffer;              // loose bytes of the stream
  std::size_t read_pos = 0;
  bool closed = false;
  Signal signal;  // wakes the reader
  void notify() { signal.notify(); }
  // Moves the queued frames into the stream, ahead of bytes about to follow.
  void flush_frames() {
    for (auto& frame : frames) {
      put_length_prefix(buffer, frame.size());
      buffer.insert(buffer.end(), frame.begin(), frame.end());
    }
    frames.clear();
  }
};

struct LoopbackHub::State {
  explicit State(asio::any_io_executor ex) : executor(std::move(ex)) {}
  asio::any_io_executor executor;
  std::map<std::string, std::shared_ptr<LinkQueue>> listeners;
  std::map<std::string, Advertisement> advertisements;
  FaultPlan faults;
  int connections = 0;

  Result<std::unique_ptr<LoopbackLink>> connect(const std::string& name) {
    auto it = listeners.find(name);
    if (it == listeners.end() || it->second->closed()) return fail(Errc::connect_failed);
    auto to_primary = std::make_shared<LoopbackLink::Pipe>(executor);
    auto to_target = std::make_shared<LoopbackLink::Pipe>(executor);
    const std::string id = "loopback #" + std::to_string(++connections);
    auto target_end = std::make_unique<LoopbackLink>(executor, to_target, to_primary, id + " primary " + name);
    LinkPtr primary_end = std::make_unique<LoopbackLink>(executor, to_primary, to_target, id + " target");
    if (!faults.empty()) primary_end = std::make_unique<FaultInjectingLink>(std::move(primary_end), faults);
    it->second->push(std::move(primary_end));
    return target_end;
  }
};

namespace {

class LoopbackListener final : public Listener {
 public:
  LoopbackListener(std::shared_ptr<LoopbackHub::State> hub, std::string name, std::shared_ptr<LinkQueue> queue)
      : hub_(std::move(hub)), name_(std::move(name)), queue_(std::move(queue)) {}
  ~LoopbackListener() override { close(); }

  asio::awaitable<Result<LinkPtr>> accept() override {
    auto queue = queue_;  // outlives the listener while this waits
    co_return co_await queue->accept();
  }

  void close() override {
    if (queue_->closed()) return;
    queue_->close();
    hub_->listeners.erase(name_);
  }

  std::string describe() const override { return "loopback:" + name_; }

 private:
  std::shared_ptr<LoopbackHub::State> hub_;
  std::string name_;
  std::shared_ptr<LinkQueue> queue_;
};

class LoopbackAdvertiser final : public Advertiser {
 public:
  LoopbackAdvertiser(std::shared_ptr<LoopbackHub::State> hub, std::string name)
      : hub_(std::move(hub)), name_(std::move(name)) {}
  ~LoopbackAdvertiser() override { stop(); }
  std::error_code start(const Advertisement& ad) override {
    Advertisement copy = ad;
    copy.address = name_;
    hub_->advertisements[name_] = copy;
    return {};
  }
  void stop() override { hub_->advertisements.erase(name_); }

 private:
  std::shared_ptr<LoopbackHub::State> hub_;
  std::string name_;
};

class LoopbackConnector final : public Connector {
 public:
  explicit LoopbackConnector(std::shared_ptr<LoopbackHub::State> hub) : hub_(std::move(hub)) {}
  asio::awaitable<Result<LinkPtr>> connect(std::string address) override {
    auto link = hub_->connect(address);
    if (!link) co_return tl::unexpected(link.error());
    co_return LinkPtr(std::move(*link));
  }

 private:
  std::shared_ptr<LoopbackHub::State> hub_;
};

}  // namespace

LoopbackHub::LoopbackHub(asio::any_io_executor executor)
    : state_(std::make_shared<State>(std::move(executor))) {}
LoopbackHub::~LoopbackHub() = default;

Result<std::unique_ptr<Listener>> LoopbackHub::listen(const std::string& name) {
  auto& slot = state_->listeners[name];
  if (slot && !slot->closed()) return fail(Errc::connect_failed);
  slot = std::make_shared<LinkQueue>(state_->executor);
  return std::make_unique<LoopbackListener>(state_, name, slot);
}

std::unique_ptr<Connector> LoopbackHub::connector() { return std::make_unique<LoopbackConnector>(state_); }

std::unique_ptr<Advertiser> LoopbackHub::advertiser(const std::string& name) {
  return std::make_unique<LoopbackAdvertiser>(state_, name);
}

std::vector<Advertisement> LoopbackHub::advertised() const {
  std::vector<Advertisement> out;
  for (const auto& [name, ad] : state_->advertisements) out.push_back(ad);
  return out;
}

void LoopbackHub::set_faults(FaultPlan plan) { state_->faults = plan; }

Result<std::unique_ptr<LoopbackLink>> LoopbackHub::connect_now(const std::string& name) {
  return state_->connect(name);
}

asio::any_io_executor LoopbackHub::executor() const { return state_->executor; }

LoopbackLink::LoopbackLink(asio::any_io_executor executor, std::shared_ptr<Pipe> in,
                           std::shared_ptr<Pipe> out, std::string peer)
    : executor_(std::move(executor)), in_(std::move(in)), out_(std::move(out)), peer_(std::move(peer)) {}

LoopbackLink::~LoopbackLink() { close(); }

asio::awaitable<Result<Bytes>> LoopbackLink::read_frame() {
  KDA_ASSERT_ON(executor_);
  for (;;) {
    if (closed_) co_return fail(Errc::link_closed);
    if (!in_->frames.empty()) {
      if (in_->frames.front().size() > max_frame_size()) co_return fail(Errc::frame_too_large);
      Bytes frame = std::move(in_->frames.front());
      in_->frames.pop_front();
      cancelled_ = false;
      co_return frame;
    }
    const ByteView pending = ByteView(in_->buffer).subspan(in_->read_pos);
    const auto decoded = decode_stream(pending, max_frame_size());
    if (const auto* span = std::get_if<FrameSpan>(&decoded)) {
      Bytes frame(pending.begin() + span->offset, pending.begin() + span->offset + span->size);
      in_->read_pos += span->consumed;
      cancelled_ = false;  // a cancel that raced with arriving data is moot
      if (in_->read_pos == in_->buffer.size()) {
        in_->buffer.clear();
        in_->read_pos = 0;
      }
      co_return frame;
    }
    if (const auto* error = std::get_if<std::error_code>(&decoded)) co_return tl::unexpected(*error);
    if (in_->closed) co_return fail(Errc::link_closed);
    if (cancelled_) {
      cancelled_ = false;
      co_return fail(Errc::cancelled);
    }
    reading_ = true;
    co_await in_->signal.wait();
    reading_ = false;
  }
}

asio::awaitable<std::error_code> LoopbackLink::write_frame(ByteView frame) {
  KDA_ASSERT_ON(executor_);
  if (closed_ || out_->closed) co_return make_error_code(Errc::link_closed);
  if (out_->read_pos == out_->buffer.size() && frame.size() <= kMaxFrameSize) {
    out_->frames.emplace_back(frame.begin(), frame.end());
  } else {  // behind loose bytes, or too large: through the stream, where the reader checks it
    put_length_prefix(out_->buffer, frame.size());
    out_->buffer.insert(out_->buffer.end(), frame.begin(), frame.end());
  }
  out_->notify();
  co_return std::error_code{};
}

std::error_code LoopbackLink::write_raw(ByteView bytes) {
  if (closed_ || out_->closed) return make_error_code(Errc::link_closed);
  out_->flush_frames();
  out_->buffer.insert(out_->buffer.end(), bytes.begin(), bytes.end());
  out_->notify();
  return {};
}

void LoopbackLink::cancel() {
  if (!reading_) return;
  cancelled_ = true;
  in_->notify();
}

void LoopbackLink::close() {
  if (closed_) return;
  closed_ = true;
  in_->closed = out_->closed = true;
  in_->notify();
  out_->notify();
}

}  // namespace kda
