// The link of a Wi-Fi Direct session: length-prefixed frames over TCP on the
// P2P group interface, tied to the group it runs in. When the group goes
// away (P2P-GROUP-REMOVED, wpa_supplicant lost) the link fails at once with
// link_failed instead of waiting for TCP to notice; the GroupWatch logs why.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kda/core/stream_link.h"

namespace kda::wifidirect {

class GroupLink;

// The group's side: which links run in it, and whether it is gone.
// Executor-bound (not thread-safe).
class GroupWatch {
 public:
  explicit GroupWatch(std::string ifname) : ifname_(std::move(ifname)) {}
  // Fails every link in the group; later links fail at once.
  void lose(const std::string& why);
  bool lost() const { return lost_; }
  const std::string& ifname() const { return ifname_; }
  std::size_t live_links() const { return links_.size(); }
  // Called when a link of this group closes (after it was removed).
  std::function<void()> on_link_closed;

 private:
  friend class GroupLink;
  std::string ifname_;
  bool lost_ = false;
  std::vector<GroupLink*> links_;
};

class GroupLink final : public Link {
 public:
  using Tcp = StreamLink<asio::ip::tcp::socket>;
  GroupLink(asio::ip::tcp::socket socket, std::string peer, std::shared_ptr<GroupWatch> watch);
  ~GroupLink() override;

  asio::any_io_executor executor() const override { return inner_.executor(); }
  v1::TransportKind kind() const override { return v1::TRANSPORT_WIFI_DIRECT; }
  std::string peer() const override { return inner_.peer(); }
  asio::awaitable<Result<Bytes>> read_frame() override;
  asio::awaitable<std::error_code> write_frame(ByteView frame) override;
  void set_max_frame_size(std::size_t bytes) override {
    Link::set_max_frame_size(bytes);
    inner_.set_max_frame_size(bytes);
  }
  void cancel() override { inner_.cancel(); }
  void close() override;

  Tcp& stream() { return inner_; }

 private:
  friend class GroupWatch;
  void group_lost();
  std::error_code map(std::error_code ec) const;

  Tcp inner_;
  std::shared_ptr<GroupWatch> watch_;
  bool registered_ = true;
  bool closed_ = false;
};

}  // namespace kda::wifidirect
