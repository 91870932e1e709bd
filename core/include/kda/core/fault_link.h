// Fault injection for any link: a decorator that fails, drops, delays or
// (adversarially) alters frames at chosen indices. The loopback hub applies it
// to the links it creates; tests wrap TCP and radio links with it, so every
// transport faces the same faults.
//
// Indices are 1-based. A "frame" is any read or write through this link;
// write-side adversary switches count writes only.
#pragma once

#include <chrono>
#include <optional>

#include "kda/core/clock.h"
#include "kda/core/link.h"

namespace kda {

struct FaultPlan {
  int fail_read_at = 0;      // that read fails with link_failed
  int fail_write_at = 0;     // that write fails with link_failed
  int drop_after_frame = 0;  // close the link after this many frames passed
  std::chrono::milliseconds delay{0};  // before every write
  Clock* clock = &steady_clock();      // the delay's
  // Adversary (tests only; honest links never reorder or duplicate).
  int corrupt_write_at = 0;    // flip the last byte of that write
  int duplicate_write_at = 0;  // send that write twice
  int swap_write_at = 0;       // hold that write and send it after the next one

  bool empty() const;
};

class FaultInjectingLink final : public Link {
 public:
  FaultInjectingLink(LinkPtr inner, FaultPlan plan);

  asio::any_io_executor executor() const override { return inner_->executor(); }
  v1::TransportKind kind() const override { return inner_->kind(); }
  std::string peer() const override { return inner_->peer(); }
  asio::awaitable<Result<Bytes>> read_frame() override;
  asio::awaitable<std::error_code> write_frame(ByteView frame) override;
  void set_max_frame_size(std::size_t bytes) override {
    Link::set_max_frame_size(bytes);
    inner_->set_max_frame_size(bytes);
  }
  void cancel() override { inner_->cancel(); }
  void close() override { inner_->close(); }

 private:
  void count_frame();

  LinkPtr inner_;
  FaultPlan plan_;
  int reads_ = 0;
  int writes_ = 0;
  int frames_ = 0;
  std::optional<Bytes> held_;
};

}  // namespace kda
