// A link over any Asio byte stream (TCP socket, RFCOMM fd, Wi-Fi Direct TCP):
// length-prefixed frames, the prefix checked before the body is allocated.
#pragma once

#include <algorithm>
#include <array>
#include <string>

#include "kda/core/frame_codec.h"
#include "kda/core/link.h"
#include "kda/core/thread_check.h"

namespace kda {

// Maps an Asio error from a stream operation to kda's codes.
std::error_code stream_error(const boost::system::error_code& ec, bool closed_locally);

template <typename Stream>
class StreamLink final : public Link {
 public:
  StreamLink(Stream stream, v1::TransportKind kind, std::string peer)
      : stream_(std::move(stream)), executor_(stream_.get_executor()), kind_(kind), peer_(std::move(peer)) {}
  ~StreamLink() override { close(); }

  asio::any_io_executor executor() const override { return executor_; }
  v1::TransportKind kind() const override { return kind_; }
  std::string peer() const override { return peer_; }

  asio::awaitable<Result<Bytes>> read_frame() override {
    KDA_ASSERT_ON(executor_);
    if (closed_) co_return fail(Errc::link_closed);
    boost::system::error_code ec;
    co_await asio::async_read(stream_, asio::buffer(header_), with_ec(ec));
    if (ec) co_return tl::unexpected(stream_error(ec, closed_));
    auto size = read_length_prefix(header_, max_frame_size());
    if (!size) co_return tl::unexpected(size.error());
    // The buffer grows with the bytes that arrive, not with what the prefix
    // announces: a peer that announces 64 KiB and sends nothing holds 16.
    Bytes body;
    for (std::size_t have = 0; have < *size;) {
      const std::size_t step = std::min(*size - have, std::max(have, kFirstReadStep));
      body.resize(have + step);
      co_await asio::async_read(stream_, asio::buffer(body.data() + have, step), with_ec(ec));
      if (ec) co_return tl::unexpected(stream_error(ec, closed_));
      have += step;
    }
    co_return body;
  }

  asio::awaitable<std::error_code> write_frame(ByteView frame) override {
    KDA_ASSERT_ON(executor_);
    if (closed_) co_return make_error_code(Errc::link_closed);
    std::array<std::uint8_t, kLengthPrefixSize> prefix;
    const auto n = static_cast<std::uint32_t>(frame.size());
    prefix = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
              static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(prefix), asio::buffer(frame.data(), frame.size())};
    boost::system::error_code ec;
    co_await asio::async_write(stream_, buffers, with_ec(ec));
    co_return ec ? stream_error(ec, closed_) : std::error_code{};
  }

  void cancel() override {
    boost::system::error_code ignored;
    stream_.cancel(ignored);
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    if constexpr (requires { stream_.shutdown(Stream::shutdown_both, ignored); })
      stream_.shutdown(Stream::shutdown_both, ignored);
    stream_.close(ignored);
  }

  Stream& stream() { return stream_; }

 private:
  static constexpr std::size_t kFirstReadStep = 16 * 1024;

  Stream stream_;
  asio::any_io_executor executor_;
  v1::TransportKind kind_;
  std::string peer_;
  std::array<std::uint8_t, kLengthPrefixSize> header_{};
  bool closed_ = false;
};

}  // namespace kda
