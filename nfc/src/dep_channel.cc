#include "dep_channel.h"

#include "kda/core/frame_codec.h"

namespace kda::nfc {
namespace {

constexpr std::size_t kLowWater = 2 * kMaxPduPayload;

}  // namespace

DepChannel::DepChannel(asio::any_io_executor executor)
    : executor_(executor), reader_wake_(executor), writer_wake_(executor) {}

void DepChannel::write(ByteView stream_bytes) {
  {
    std::lock_guard lock(mu_);
    outbox_.insert(outbox_.end(), stream_bytes.begin(), stream_bytes.end());
    last_write_ = std::chrono::steady_clock::now();
  }
  cv_.notify_all();
}

bool DepChannel::write_backlogged() {
  std::lock_guard lock(mu_);
  if (outbox_.size() <= kLowWater || stopped_) return false;
  writer_waiting_ = true;
  return true;
}

void DepChannel::close_local() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
}

void DepChannel::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool DepChannel::stopping() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

DepStats DepChannel::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

DepChannel::Outgoing DepChannel::take(std::size_t max) {
  std::lock_guard lock(mu_);
  Outgoing out;
  const std::size_t n = std::min(max, outbox_.size());
  out.payload.assign(outbox_.begin(), outbox_.begin() + static_cast<long>(n));
  outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<long>(n));
  out.more = !outbox_.empty();
  // CLOSE goes with the last queued bytes, once.
  out.close = closing_ && outbox_.empty() && !close_sent_;
  if (out.close) close_sent_ = true;
  stats_.bytes_sent += n;
  if (writer_waiting_ && outbox_.size() <= kLowWater) {
    writer_waiting_ = false;
    asio::post(executor_, [self = shared_from_this()] { self->wake_writer(); });
  }
  return out;
}

bool DepChannel::wait_outgoing(std::chrono::milliseconds limit, std::chrono::milliseconds settle) {
  std::unique_lock lock(mu_);
  auto ready = [&] { return !outbox_.empty() || (closing_ && !close_sent_) || stopped_; };
  if (!cv_.wait_for(lock, limit, ready)) return false;
  // A burst of frames (package chunks) arrives write by write: let it
  // fill the PDU rather than send a short one.
  while (outbox_.size() < kMaxPduPayload && !closing_ && !stopped_) {
    const auto quiet_until = last_write_ + settle;
    if (std::chrono::steady_clock::now() >= quiet_until) break;
    cv_.wait_until(lock, quiet_until);
  }
  return true;
}

void DepChannel::count_exchange(std::size_t sent, std::size_t received) {
  std::lock_guard lock(mu_);
  ++stats_.exchanges;
  if (sent || received) ++stats_.data_exchanges;
  stats_.bytes_received += received;
  stats_.pdu_bytes += sent + received + 2 * kPduHeaderSize;
}

void DepChannel::deliver(Bytes payload, std::optional<std::error_code> end) {
  asio::post(executor_, [self = shared_from_this(), payload = std::move(payload), end]() mutable {
    self->on_delivery(std::move(payload), end);
  });
}

void DepChannel::on_delivery(Bytes payload, std::optional<std::error_code> end) {
  inbox_.insert(inbox_.end(), payload.begin(), payload.end());
  if (end && !ended_) ended_ = end;
  if (ended_) wake_writer();
  wake_reader();
}

std::optional<Result<Bytes>> DepChannel::next_frame(std::size_t max_frame) {
  const ByteView pending = ByteView(inbox_).subspan(read_pos_);
  const auto decoded = decode_stream(pending, max_frame);
  if (const auto* span = std::get_if<FrameSpan>(&decoded)) {
    Bytes frame(pending.begin() + static_cast<long>(span->offset),
                pending.begin() + static_cast<long>(span->offset + span->size));
    read_pos_ += span->consumed;
    if (read_pos_ == inbox_.size()) {
      inbox_.clear();
      read_pos_ = 0;
    }
    return Result<Bytes>(std::move(frame));
  }
  if (const auto* error = std::get_if<std::error_code>(&decoded)) return Result<Bytes>(tl::unexpected(*error));
  if (ended_) return Result<Bytes>(tl::unexpected(*ended_));
  return std::nullopt;
}

asio::awaitable<void> DepChannel::wait_inbound() { return reader_wake_.wait(); }

asio::awaitable<void> DepChannel::wait_writable() { return writer_wake_.wait(); }

void DepChannel::wake_reader() { reader_wake_.notify(); }

void DepChannel::wake_writer() { writer_wake_.notify(); }

}  // namespace kda::nfc
