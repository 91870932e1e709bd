#include "kda/wifidirect/group_link.h"

#include <algorithm>

namespace kda::wifidirect {

void GroupWatch::lose(const std::string&) {
  if (lost_) return;
  lost_ = true;
  auto links = links_;
  for (auto* link : links) link->group_lost();
}

GroupLink::GroupLink(asio::ip::tcp::socket socket, std::string peer, std::shared_ptr<GroupWatch> watch)
    : inner_(std::move(socket), v1::TRANSPORT_WIFI_DIRECT, std::move(peer)), watch_(std::move(watch)) {
  watch_->links_.push_back(this);
}

GroupLink::~GroupLink() { close(); }

std::error_code GroupLink::map(std::error_code ec) const {
  // Whatever the socket said, the cause is the group that went away.
  if (ec && watch_->lost() && ec != Errc::cancelled) return make_error_code(Errc::link_failed);
  return ec;
}

asio::awaitable<Result<Bytes>> GroupLink::read_frame() {
  if (watch_->lost() && !closed_) co_return fail(Errc::link_failed);
  auto frame = co_await inner_.read_frame();
  if (!frame) co_return tl::unexpected(map(frame.error().code));
  co_return frame;
}

asio::awaitable<std::error_code> GroupLink::write_frame(ByteView frame) {
  if (watch_->lost() && !closed_) co_return make_error_code(Errc::link_failed);
  co_return map(co_await inner_.write_frame(frame));
}

void GroupLink::group_lost() { inner_.close(); }

void GroupLink::close() {
  inner_.close();
  if (closed_) return;
  closed_ = true;
  std::erase(watch_->links_, this);
  if (watch_->on_link_closed) watch_->on_link_closed();
}

}  // namespace kda::wifidirect
