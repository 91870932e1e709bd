// What one NFC DEP link shares between its device thread (the pump that
// calls libnfc) and the io_context (DepLink, the session's side).
//
// Outbound: the link appends stream bytes (length-prefixed frames) under a
// mutex; the pump takes up to one PDU payload per exchange. Inbound: the pump
// posts received payloads to the executor, where the link decodes frames.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/core/signal.h"
#include "kda/nfc/dep_link.h"

namespace kda::nfc {

class DepChannel : public std::enable_shared_from_this<DepChannel> {
 public:
  explicit DepChannel(asio::any_io_executor executor);

  // ---- any thread ----
  void write(ByteView stream_bytes);
  // True while more than a few PDUs are queued; the pump then wakes
  // wait_writable() once it has taken them (writes complete as the carrier
  // takes the bytes, so a session's deadlines see the real pace).
  bool write_backlogged();
  // The local side is done: the pump flushes what is queued, then sends CLOSE.
  void close_local();
  // The device is going away (listener closed, connector destroyed).
  void stop();
  DepStats stats() const;

  // ---- io side (executor) ----
  asio::any_io_executor executor() const { return executor_; }
  // A whole frame, a stream/link error, or nothing yet.
  std::optional<Result<Bytes>> next_frame(std::size_t max_frame);
  // Why the link ended (link_closed, link_failed), once it has.
  std::optional<std::error_code> ended() const { return ended_; }
  asio::awaitable<void> wait_inbound();
  asio::awaitable<void> wait_writable();
  void wake_reader();
  void wake_writer();

  // ---- device thread ----
  struct Outgoing {
    Bytes payload;
    bool more = false;
    bool close = false;
  };
  Outgoing take(std::size_t max);
  // Until stream bytes, a close or a stop are pending, at most `limit`; then
  // up to `settle` more while the session is still adding a burst of frames.
  bool wait_outgoing(std::chrono::milliseconds limit, std::chrono::milliseconds settle);
  bool stopping() const;
  void count_exchange(std::size_t sent, std::size_t received);
  // Posts to the executor: payload bytes, then the end if `end` is set.
  void deliver(Bytes payload, std::optional<std::error_code> end = std::nullopt);

 private:
  void on_delivery(Bytes payload, std::optional<std::error_code> end);

  asio::any_io_executor executor_;
  // device thread <-> any thread
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Bytes outbox_;
  bool closing_ = false;
  bool close_sent_ = false;
  bool stopped_ = false;
  bool writer_waiting_ = false;
  std::chrono::steady_clock::time_point last_write_{};
  DepStats stats_;
  // executor only
  Bytes inbox_;
  std::size_t read_pos_ = 0;
  std::optional<std::error_code> ended_;
  Signal reader_wake_;
  Signal writer_wake_;
};

}  // namespace kda::nfc
