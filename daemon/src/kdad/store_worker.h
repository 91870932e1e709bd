// Store work on a thread of its own with its own connection, so that no
// store call blocks the daemon's io_context (a PostgreSQL server may be a
// network away, or failing over). kdad runs three: the sessions' (their
// ledger writes and claims, in the order each session asks), and the
// admin's writer and reader (StateStore::open_bulk_companion): an import, an
// approval of every device or a listing of 300,000 runs beside the
// sessions without delaying them. Work runs one
// item at a time in the order it was asked for; a listing is one item per
// page, so a `kdactl status` asked during it waits at most one page. Bulk
// writes go in slices that let a session's write in between (write_turns.h).
// The writer also checkpoints the WAL, every second and after each slice,
// so that no session's commit ever does.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <tl/expected.hpp>

#include "kda/core/asio.h"
#include "kda/daemon/state_store.h"

namespace kda::daemon {

class StoreWorker {
 public:
  // Opens the worker's connection next to `sessions_store` and starts the
  // thread. A writer checkpoints the WAL, and the ledger rows it writes are
  // told to `ledger_written` on `home` (the daemon's executor), a slice's
  // rows at a time. kdad runs two: a writer for imports and batches, a
  // reader for status, listings and the ledger, so that neither waits for
  // the other (WAL readers never wait for a writer).
  enum class Role { writer, reader, sessions };
  static kda::Result<std::unique_ptr<StoreWorker>> start(
      StateStore& sessions_store, asio::any_io_executor home, Role role,
      std::function<void(std::int64_t id)> ledger_written = {});
  // The sessions' worker, which takes the store the companions were opened
  // from (open them first: a connection is used by one thread at a time).
  static std::unique_ptr<StoreWorker> sessions(std::unique_ptr<StateStore> store, asio::any_io_executor home,
                                               std::function<void(std::int64_t id)> ledger_written);
  // Lets the item under way finish (an import's slice loop included), drops
  // the rest and joins.
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Runs fn(store) on the worker thread; the awaiting coroutine resumes on
  // its own executor with the result (an exception travels along).
  // Not a coroutine itself: the closure that carries `fn` is no temporary
  // in a co_await operand (GCC 12 destroys those twice).
  // The worker's connection, for its facts only (engine, where, round
  // trips), which any thread may read; run() does everything else.
  const StateStore& connection() const { return *store_; }

  template <typename F>
  auto run(F fn) -> asio::awaitable<std::invoke_result_t<F&, StateStore&>> {
    using Result = std::invoke_result_t<F&, StateStore&>;
    return asio::co_spawn(
        context_, [this, fn = std::move(fn)]() mutable -> asio::awaitable<Result> { co_return fn(*store_); },
        asio::use_awaitable);
  }

 private:
  StoreWorker(std::unique_ptr<StateStore> store, asio::any_io_executor home, Role role,
              std::function<void(std::int64_t)> ledger_written);
  void written(std::int64_t id);  // on the worker
  void checkpoint_each_second();

  std::unique_ptr<StateStore> store_;
  asio::any_io_executor home_;
  std::function<void(std::int64_t)> ledger_written_;
  std::mutex written_mutex_;
  std::vector<std::int64_t> written_;  // waiting for the home executor
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer checkpoint_timer_{context_};
  std::thread thread_;
};

}  // namespace kda::daemon
