// Awaiting the reply of an asynchronous D-Bus call on the bus thread. The
// generated proxies (Async annotation "client") hand each reply to a virtual
// onXReply(); a ReplyQueue turns those into co_await-able results, in the
// order the calls were made.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <tuple>

#include <sdbus-c++/Error.h>
#include <tl/expected.hpp>

#include "kda/bt/bus_thread.h"

namespace kda::bt {

// An error reply, e.g. "org.bluez.Error.NotPermitted: Profile already registered".
struct DbusError {
  std::string name;
  std::string message;
  std::string text() const { return message.empty() ? name : name + ": " + message; }
};

template <typename... Args>
class ReplyQueue {
 public:
  using Reply = tl::expected<std::tuple<Args...>, DbusError>;

  explicit ReplyQueue(BusThread& bus) : bus_(bus) {}

  // Sends with `send` (a generated async method) and resumes with its reply.
  asio::awaitable<Reply> call(std::function<void()> send) {
    return asio::async_initiate<const asio::use_awaitable_t<>, void(Reply)>(
        [this, send = std::move(send)](auto handler) mutable {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          auto executor = bus_.executor();
          waiting_.push_back([shared, executor](Reply reply) {
            asio::post(executor, [shared, reply = std::move(reply)]() mutable { (*shared)(std::move(reply)); });
          });
          try {
            send();
          } catch (const sdbus::Error& e) {
            auto waiter = std::move(waiting_.back());
            waiting_.pop_back();
            waiter(tl::unexpected(DbusError{e.getName(), e.getMessage()}));
          }
          bus_.request_pump();
        },
        asio::use_awaitable);
  }

  // From the generated onXReply().
  void complete(const sdbus::Error* error, Args... args) {
    if (waiting_.empty()) return;
    auto waiter = std::move(waiting_.front());
    waiting_.pop_front();
    if (error) waiter(tl::unexpected(DbusError{error->getName(), error->getMessage()}));
    else waiter(std::tuple<Args...>(std::move(args)...));
  }

 private:
  BusThread& bus_;
  std::deque<std::function<void(Reply)>> waiting_;
};

}  // namespace kda::bt
