#include "kda/nfc/dep_link.h"

#include "dep_channel.h"
#include "kda/core/frame_codec.h"

namespace kda::nfc {
namespace {

// As on a socket, bytes written after the peer closed are dropped without an
// error: the session then reads what the peer said last (an Error frame) and
// the close. A failed field fails the write.
std::error_code written_after(std::error_code ended) {
  return ended == Errc::link_closed ? std::error_code{} : ended;
}

}  // namespace

DepLink::DepLink(std::shared_ptr<DepChannel> channel, std::string peer, bool primary)
    : channel_(std::move(channel)), peer_(std::move(peer)), primary_(primary) {}

DepLink::~DepLink() { close(); }

asio::any_io_executor DepLink::executor() const { return channel_->executor(); }

asio::awaitable<Result<Bytes>> DepLink::read_frame() {
  for (;;) {
    if (closed_) co_return fail(Errc::link_closed);
    // The prefix is checked as soon as it arrives; reassembly grows one
    // exchange (at most 262 bytes) at a time.
    if (auto frame = channel_->next_frame(max_frame_size())) {
      cancelled_ = false;  // a cancel that raced with arriving data is moot
      if (*frame) wrote_last_ = false;
      co_return std::move(*frame);
    }
    if (cancelled_) {
      cancelled_ = false;
      co_return fail(Errc::cancelled);
    }
    reading_ = true;
    co_await channel_->wait_inbound();
    reading_ = false;
  }
}

asio::awaitable<std::error_code> DepLink::write_frame(ByteView frame) {
  if (closed_) co_return make_error_code(Errc::link_closed);
  Bytes wire;
  wire.reserve(kLengthPrefixSize + frame.size());
  put_length_prefix(wire, frame.size());
  wire.insert(wire.end(), frame.begin(), frame.end());
  if (auto ec = write_raw(wire)) co_return ec;
  for (;;) {
    if (closed_) co_return make_error_code(Errc::link_closed);
    if (auto ended = channel_->ended()) co_return written_after(*ended);
    if (!channel_->write_backlogged()) {
      write_cancelled_ = false;  // a cancel that raced with the pump is moot
      co_return std::error_code{};
    }
    if (write_cancelled_) {
      write_cancelled_ = false;
      co_return make_error_code(Errc::cancelled);
    }
    writing_ = true;
    co_await channel_->wait_writable();
    writing_ = false;
  }
}

std::error_code DepLink::write_raw(ByteView bytes) {
  if (closed_) return make_error_code(Errc::link_closed);
  if (auto ended = channel_->ended()) return written_after(*ended);
  if (!wrote_last_) turns_.push_back(Turn{primary_, 0});
  turns_.back().bytes += bytes.size();
  wrote_last_ = true;
  channel_->write(bytes);
  return {};
}

void DepLink::cancel() {
  if (reading_) {
    cancelled_ = true;
    channel_->wake_reader();
  }
  if (writing_) {
    write_cancelled_ = true;
    channel_->wake_writer();
  }
}

void DepLink::close() {
  if (closed_) return;
  closed_ = true;
  channel_->close_local();
  channel_->wake_reader();
  channel_->wake_writer();
}

DepStats DepLink::stats() const {
  DepStats s = channel_->stats();
  s.turns = turns_;
  return s;
}

}  // namespace kda::nfc
