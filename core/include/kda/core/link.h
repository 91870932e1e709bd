// A link: a reliable, ordered, bidirectional carrier of frames between one
// target and one primary. Every transport (loopback, TCP and each radio,
// kda/core/radio.h) produces links; the session layer sees nothing else.
//
// Threading: all operations must be started from the link's executor (a
// strand); their coroutines resume there. One reader and one writer at a time
// (sessions are single-writer by construction).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kda/core/asio.h"
#include "kda/core/bytes.h"
#include "kda/core/error.h"
#include "kda/core/frame_codec.h"
#include "kda/proto/kda.pb.h"

namespace kda {

class Link {
 public:
  virtual ~Link() = default;

  virtual asio::any_io_executor executor() const = 0;
  virtual v1::TransportKind kind() const = 0;
  // Who is on the other end, for logs ("tcp [::1]:51234").
  virtual std::string peer() const = 0;

  // Next whole frame body (no length prefix). Errors: link_closed (peer closed
  // or close() called), link_failed, frame_too_large, malformed_frame,
  // cancelled (cancel() called).
  virtual asio::awaitable<Result<Bytes>> read_frame() = 0;
  // Hands one frame body to the carrier. Errors: link_closed, link_failed,
  // cancelled.
  virtual asio::awaitable<std::error_code> write_frame(ByteView frame) = 0;

  // Frames longer than this are refused with frame_too_large, before their
  // body is read or allocated (the primary accepts only what a Hello needs
  // until the handshake completes). Links that wrap another pass it on.
  virtual void set_max_frame_size(std::size_t bytes) { max_frame_size_ = bytes; }
  std::size_t max_frame_size() const { return max_frame_size_; }

  // Pending operations complete with `cancelled`; the link stays usable.
  virtual void cancel() = 0;
  // Ends the link; pending and later operations fail with link_closed.
  // Idempotent.
  virtual void close() = 0;

 private:
  std::size_t max_frame_size_ = kMaxFrameSize;
};

using LinkPtr = std::unique_ptr<Link>;

}  // namespace kda
