#include "kda/core/fault_link.h"

namespace kda {

bool FaultPlan::empty() const {
  return fail_read_at == 0 && fail_write_at == 0 && drop_after_frame == 0 && delay.count() == 0 &&
         corrupt_write_at == 0 && duplicate_write_at == 0 && swap_write_at == 0;
}

FaultInjectingLink::FaultInjectingLink(LinkPtr inner, FaultPlan plan)
    : inner_(std::move(inner)), plan_(plan) {}

void FaultInjectingLink::count_frame() {
  ++frames_;
  if (plan_.drop_after_frame != 0 && frames_ >= plan_.drop_after_frame) inner_->close();
}

asio::awaitable<Result<Bytes>> FaultInjectingLink::read_frame() {
  if (plan_.drop_after_frame != 0 && frames_ >= plan_.drop_after_frame) co_return fail(Errc::link_closed);
  if (++reads_ == plan_.fail_read_at) co_return fail(Errc::link_failed);
  auto frame = co_await inner_->read_frame();
  if (frame) count_frame();
  co_return frame;
}

asio::awaitable<std::error_code> FaultInjectingLink::write_frame(ByteView frame) {
  if (plan_.drop_after_frame != 0 && frames_ >= plan_.drop_after_frame)
    co_return make_error_code(Errc::link_closed);
  const int index = ++writes_;
  if (index == plan_.fail_write_at) co_return make_error_code(Errc::link_failed);
  if (plan_.delay.count() > 0) {
    auto timer = plan_.clock->make_timer(inner_->executor());
    timer->expires_after(plan_.delay);
    co_await timer->wait();
  }
  if (index == plan_.swap_write_at) {
    held_ = Bytes(frame.begin(), frame.end());
    count_frame();
    co_return std::error_code{};
  }
  std::error_code ec;
  if (index == plan_.corrupt_write_at) {
    Bytes altered(frame.begin(), frame.end());
    altered.back() ^= 0x01;
    ec = co_await inner_->write_frame(altered);
  } else {
    ec = co_await inner_->write_frame(frame);
  }
  if (!ec && index == plan_.duplicate_write_at) ec = co_await inner_->write_frame(frame);
  if (!ec && held_) {
    Bytes held = std::move(*held_);
    held_.reset();
    ec = co_await inner_->write_frame(held);
  }
  if (!ec) count_frame();
  co_return ec;
}

}  // namespace kda
