#include "kda/core/link_queue.h"

namespace kda {

void LinkQueue::push(Result<LinkPtr> link) {
  if (closed_) return;
  queued_.push_back(std::move(link));
  arrived_.notify();
}

asio::awaitable<Result<LinkPtr>> LinkQueue::accept() {
  for (;;) {
    if (closed_) co_return fail(Errc::shutdown);
    if (!queued_.empty()) {
      Result<LinkPtr> next = std::move(queued_.front());
      queued_.pop_front();
      co_return next;
    }
    co_await arrived_.wait();
  }
}

void LinkQueue::close() {
  if (closed_) return;
  closed_ = true;
  queued_.clear();
  arrived_.set();
}

}  // namespace kda
