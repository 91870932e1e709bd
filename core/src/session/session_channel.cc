#include "session_channel.h"

#include "kda/core/frame_codec.h"
#include "kda/core/frame_validator.h"
#include "kda/core/frames.h"
#include "kda/core/thread_check.h"
#include "kda/core/untrusted_text.h"

namespace kda {

std::string describe(std::error_code ec) { return ec ? ec.message() : "ok"; }

SessionReport failure(std::error_code ec, std::string reason) {
  SessionReport r;
  r.outcome = ec == Errc::cancelled ? v1::OUTCOME_CANCELLED
              : ec == Errc::rejected ? v1::OUTCOME_REJECTED
                                     : v1::OUTCOME_FAILED;
  r.error = ec;
  r.reason = std::move(reason);
  return r;
}

SessionChannel::SessionChannel(LinkPtr link, const SessionConfig& config)
    : link_(std::move(link)), config_(config) {}

void SessionChannel::arm(std::chrono::milliseconds timeout) {
  deadline_fired_ = false;
  operation_pending_ = true;
  deadline_at_ = config_.clock->now() + timeout;
  // A pending wait that ends no later than the new deadline will re-check.
  if (timer_expiry_ && *timer_expiry_ <= deadline_at_) return;
  wait_for_deadline();
}

void SessionChannel::wait_for_deadline() {
  if (!deadline_timer_) deadline_timer_ = make_timer();
  timer_expiry_ = deadline_at_;
  deadline_timer_->expires_at(deadline_at_);  // the wait it replaces ends as cancelled
  deadline_timer_->async_wait([weak = weak_from_this()](bool expired) {
    if (auto self = weak.lock(); self && expired) self->on_deadline();
  });
}

// Expiries are checked against deadline_at_, so one that was already queued
// when the timer was set again does no harm.
void SessionChannel::on_deadline() {
  timer_expiry_.reset();
  if (!operation_pending_) return;  // idle: the next operation sets the timer
  if (config_.clock->now() < deadline_at_) {
    wait_for_deadline();  // fired for an earlier operation's deadline
    return;
  }
  deadline_fired_ = true;
  link_->cancel();
}

void SessionChannel::disarm() { operation_pending_ = false; }

void SessionChannel::interrupt(Errc reason) {
  asio::post(link_->executor(), [self = shared_from_this(), reason] {
    if (self->interrupt_ || self->ended_) return;
    self->interrupt_ = reason;
    self->link_->cancel();
    if (self->wait_timer_) self->wait_timer_->cancel();
  });
}

std::error_code SessionChannel::map_link_error(std::error_code ec) const {
  if (ec == Errc::cancelled) {
    if (interrupt_) return make_error_code(*interrupt_);
    if (deadline_fired_) return make_error_code(Errc::timeout);
  }
  return ec;
}

// Each read or write below is one coroutine around the link call; the steps
// before and after are plain functions (a frame costs fewer coroutine frames).
std::error_code SessionChannel::begin_io(std::chrono::milliseconds timeout) {
  if (interrupt_) return make_error_code(*interrupt_);
  arm(timeout);
  return {};
}

Result<Bytes> SessionChannel::finish_read(Result<Bytes> frame) {
  disarm();
  if (!frame) return tl::unexpected(map_link_error(frame.error().code));
  bytes_received_ += kLengthPrefixSize + frame->size();
  ++frames_received_;
  return frame;
}

std::error_code SessionChannel::finish_write(std::error_code ec, std::size_t size) {
  disarm();
  if (ec) return map_link_error(ec);
  bytes_sent_ += kLengthPrefixSize + size;
  ++frames_sent_;
  return {};
}

std::error_code SessionChannel::peer_error(std::uint32_t code, const std::string& text, bool is_close) {
  peer_reported_ = true;
  peer_code_ = code;
  // Before the handshake anyone can send this text: shorter still.
  peer_reason_ = escape_untrusted(text, secure_ ? kMaxUntrustedText : kMaxUnkeyedText);
  if (is_close && code == 0) return make_error_code(Errc::link_closed);
  return std::error_code(static_cast<int>(code), kda_category());
}

Result<v1::Frame> SessionChannel::decode_clear(const Result<Bytes>& bytes) {
  if (!bytes) return tl::unexpected(bytes.error());
  auto frame = parse_frame(*bytes);
  if (!frame) return frame;
  if (auto ec = validate_frame(*frame, FrameLayer::clear)) return tl::unexpected(ec);
  if (secure_ && !clear_error_allowed(*frame)) return fail(Errc::unexpected_frame);
  if (frame->has_error()) return tl::unexpected(peer_error(frame->error().code(), frame->error().message(), false));
  if (frame->has_close()) return tl::unexpected(peer_error(frame->close().code(), frame->close().reason(), true));
  return frame;
}

// Once keyed, anyone on the path could forge a clear frame, so only the
// sealed layer may end a session, with one exception: the target answers a
// handshake message 2 it cannot accept with a clear Error before any sealed
// frame, and only with a handshake failure code.
bool SessionChannel::clear_error_allowed(const v1::Frame& frame) const {
  if (frame.has_sealed()) return true;
  if (!frame.has_error() || secure_->frames_received() != 0) return false;
  switch (static_cast<Errc>(frame.error().code())) {
    case Errc::handshake_failed:
    case Errc::peer_key_mismatch:
    case Errc::malformed_frame:
    case Errc::invalid_frame:
    case Errc::unknown_frame_type:
    case Errc::unexpected_frame:
      return true;
    default:
      return false;
  }
}

asio::awaitable<Result<v1::Frame>> SessionChannel::read_clear(std::chrono::milliseconds timeout) {
  KDA_ASSERT_ON(executor());
  if (auto ec = begin_io(timeout)) co_return tl::unexpected(ec);
  auto bytes = finish_read(co_await link_->read_frame());
  co_return decode_clear(bytes);
}

asio::awaitable<std::error_code> SessionChannel::write_clear(const v1::Frame& frame) {
  KDA_ASSERT_ON(executor());
  Bytes bytes = serialize_frame(frame);
  if (auto ec = begin_io(config_.idle_timeout)) co_return ec;
  co_return finish_write(co_await link_->write_frame(bytes), bytes.size());
}

asio::awaitable<Result<v1::Frame>> SessionChannel::read_sealed(std::chrono::milliseconds timeout) {
  KDA_ASSERT_ON(executor());
  for (;;) {
    if (auto ec = begin_io(timeout)) co_return tl::unexpected(ec);
    auto bytes = finish_read(co_await link_->read_frame());
    Result<v1::Frame> inner = fail(Errc::internal_error);
    if (const auto view = bytes ? sealed_view(*bytes) : std::nullopt) {
      // The usual case: decrypted where it lies, no copy.
      const auto at = static_cast<std::size_t>(view->ciphertext.data() - bytes->data());
      inner = secure_->open_in_place(view->counter, std::span(*bytes).subspan(at, view->ciphertext.size()));
    } else {
      auto outer = decode_clear(bytes);
      if (!outer) co_return outer;
      if (!outer->has_sealed()) co_return fail(Errc::unexpected_frame);
      if (auto ec = validate_frame(*outer, FrameLayer::clear)) co_return tl::unexpected(ec);
      inner = secure_->open(outer->sealed());
    }
    if (!inner) co_return inner;
    if (auto ec = validate_frame(*inner, FrameLayer::sealed)) co_return tl::unexpected(ec);
    if (inner->has_keep_alive()) continue;
    if (inner->has_error())
      co_return tl::unexpected(peer_error(inner->error().code(), inner->error().message(), false));
    if (inner->has_close())
      co_return tl::unexpected(peer_error(inner->close().code(), inner->close().reason(), true));
    co_return inner;
  }
}

// Plain functions: the frame is sealed when called, and only write_bytes is
// a coroutine (one coroutine frame per write, not two).
asio::awaitable<std::error_code> SessionChannel::write_sealed(const v1::Frame& frame) {
  KDA_ASSERT_ON(executor());
  return write_bytes(secure_->seal(frame));
}

asio::awaitable<std::error_code> SessionChannel::write_chunk(std::uint64_t offset, std::uint64_t total, ByteView data,
                                                             ByteView sha256) {
  KDA_ASSERT_ON(executor());
  return write_bytes(secure_->seal_chunk(offset, total, data, sha256));
}

asio::awaitable<std::error_code> SessionChannel::write_bytes(Result<ByteView> sealed) {
  if (!sealed) co_return sealed.error().code;
  if (auto ec = begin_io(config_.idle_timeout)) co_return ec;
  co_return finish_write(co_await link_->write_frame(*sealed), sealed->size());
}

asio::awaitable<void> SessionChannel::end(std::error_code error, const std::string& text) {
  KDA_ASSERT_ON(executor());
  if (ended_) co_return;
  ended_ = true;
  interrupt_.reset();  // the farewell frame itself must not be refused
  const bool link_gone = error == Errc::link_closed || error == Errc::link_failed ||
                         error == Errc::timeout || peer_reported_;
  if (!link_gone) {
    const bool orderly = !error || error == Errc::shutdown || error == Errc::cancelled ||
                         error == Errc::rejected;
    const auto code = static_cast<std::uint32_t>(error.value());
    const v1::Frame farewell = farewell_ ? *farewell_ : orderly ? frames::close(code, text) : frames::error(code, text);
    // A failed receive direction does not stop us sealing on the send direction.
    std::error_code sent = make_error_code(Errc::internal_error);
    Bytes clear;
    Result<ByteView> bytes = ByteView();
    if (secure_) {
      bytes = secure_->seal(farewell);
    } else {
      clear = serialize_frame(farewell);
      bytes = ByteView(clear);
    }
    if (bytes && !begin_io(config_.close_timeout))
      sent = finish_write(co_await link_->write_frame(*bytes), bytes->size());
    // Lingering close: read (and drop) until the peer hangs up, so closing
    // with unread data does not reset the connection before the peer has
    // read our farewell.
    const auto give_up = config_.clock->now() + config_.close_timeout;
    while (!sent) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - config_.clock->now());
      if (left.count() <= 0 || begin_io(left)) break;
      if (!finish_read(co_await link_->read_frame())) break;
    }
  }
  close_link();
}

void SessionChannel::close_link() {
  KDA_ASSERT_ON(executor());
  ended_ = true;
  link_->close();
  // A pending wait would hold the io_context until the deadline.
  if (deadline_timer_) deadline_timer_->cancel();
  timer_expiry_.reset();
}

void SessionChannel::fill_counters(SessionReport& report) const {
  report.bytes_sent = bytes_sent_;
  report.bytes_received = bytes_received_;
  report.frames_sent = frames_sent_;
  report.frames_received = frames_received_;
}

}  // namespace kda
