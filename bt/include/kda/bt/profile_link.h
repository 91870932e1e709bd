// BluezProfileLink: a link over the RFCOMM socket BlueZ handed to a Profile1
// (NewConnection). Length-prefixed frames as on every stream transport; the
// socket can be closed from outside when BlueZ asks (RequestDisconnection).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "kda/core/stream_link.h"

namespace kda::bt {

class BluezProfileLink final : public Link {
 public:
  // Any socket family (AF_BLUETOOTH RFCOMM; AF_UNIX in the test rig): socket
  // sends never raise SIGPIPE, and close() shuts the connection down even if
  // another process still holds the socket.
  using Stream = asio::generic::stream_protocol::socket;
  // Takes ownership of `fd`; `device` is the BlueZ object path of the peer.
  BluezProfileLink(asio::any_io_executor executor, int fd, const std::string& device);
  ~BluezProfileLink() override;

  asio::any_io_executor executor() const override { return inner_.executor(); }
  v1::TransportKind kind() const override { return inner_.kind(); }
  std::string peer() const override { return inner_.peer(); }
  asio::awaitable<Result<Bytes>> read_frame() override { return inner_.read_frame(); }
  asio::awaitable<std::error_code> write_frame(ByteView frame) override { return inner_.write_frame(frame); }
  void set_max_frame_size(std::size_t bytes) override {
    Link::set_max_frame_size(bytes);
    inner_.set_max_frame_size(bytes);
  }
  void cancel() override { inner_.cancel(); }
  void close() override { inner_.close(); }

  Stream& stream() { return inner_.stream(); }
  // Closes the link on its executor while it lives (for RequestDisconnection).
  std::function<void()> disconnector();
  // Expires when the link is destroyed.
  std::weak_ptr<BluezProfileLink*> handle() const { return self_; }

 private:
  StreamLink<Stream> inner_;
  std::shared_ptr<BluezProfileLink*> self_;
};

}  // namespace kda::bt
