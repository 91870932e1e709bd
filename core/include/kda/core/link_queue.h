// The queue between a transport that receives links (a radio's thread, a
// hub, an accept loop) and its Listener::accept(): every listener keeps one.
//
// The producer push()es links, or an error for the next accept() to return,
// in order; accept() takes the oldest or waits for one. close() fails the
// waiting and every later accept() with Errc::shutdown and drops what was
// queued (those links close as they go).
//
// Threading: every member on the executor given at construction (producers
// on other threads post to it). Lifetime: accept() uses the queue while it
// waits; owners that may go first keep the queue (or themselves) alive in
// the accepting coroutine.
#pragma once

#include <deque>

#include "kda/core/link.h"
#include "kda/core/signal.h"

namespace kda {

class LinkQueue {
 public:
  explicit LinkQueue(asio::any_io_executor executor) : arrived_(std::move(executor)) {}

  // For the next accept(); dropped (a link closes) once the queue is closed.
  void push(Result<LinkPtr> link);
  // The oldest link or error; shutdown once closed.
  asio::awaitable<Result<LinkPtr>> accept();
  // Idempotent.
  void close();

  bool closed() const { return closed_; }
  std::size_t size() const { return queued_.size(); }

 private:
  std::deque<Result<LinkPtr>> queued_;
  Signal arrived_;  // notified per push, set at close
  bool closed_ = false;
};

}  // namespace kda
