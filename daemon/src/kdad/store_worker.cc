#include "store_worker.h"

namespace kda::daemon {

kda::Result<std::unique_ptr<StoreWorker>> StoreWorker::start(StateStore& sessions_store, asio::any_io_executor home,
                                                             Role role,
                                                             std::function<void(std::int64_t)> ledger_written) {
  auto store = sessions_store.open_bulk_companion();
  if (!store) return fail(store.error().code, "store worker: " + store.error().detail);
  return std::unique_ptr<StoreWorker>(
      new StoreWorker(std::move(*store), std::move(home), role, std::move(ledger_written)));
}

std::unique_ptr<StoreWorker> StoreWorker::sessions(std::unique_ptr<StateStore> store, asio::any_io_executor home,
                                                  std::function<void(std::int64_t)> ledger_written) {
  return std::unique_ptr<StoreWorker>(
      new StoreWorker(std::move(store), std::move(home), Role::sessions, std::move(ledger_written)));
}

StoreWorker::StoreWorker(std::unique_ptr<StateStore> store, asio::any_io_executor home, Role role,
                         std::function<void(std::int64_t)> ledger_written)
    : store_(std::move(store)), home_(std::move(home)), ledger_written_(std::move(ledger_written)),
      work_(context_.get_executor()) {
  store_->on_ledger_write([this](std::int64_t id) { written(id); });
  if (role == Role::writer) checkpoint_each_second();
  thread_ = std::thread([this] { context_.run(); });
}

void StoreWorker::checkpoint_each_second() {
  checkpoint_timer_.expires_after(std::chrono::seconds(1));
  checkpoint_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    store_->checkpoint();
    checkpoint_each_second();
  });
}

StoreWorker::~StoreWorker() {
  context_.stop();
  if (thread_.joinable()) thread_.join();
}

void StoreWorker::written(std::int64_t id) {
  if (!ledger_written_) return;
  std::lock_guard lock(written_mutex_);
  written_.push_back(id);
  if (written_.size() > 1) return;  // a delivery is already on its way
  asio::post(home_, [this] {
    std::vector<std::int64_t> ids;
    {
      std::lock_guard lock(written_mutex_);
      ids.swap(written_);
    }
    for (auto id : ids) ledger_written_(id);
  });
}

}  // namespace kda::daemon
