// Loopback transport: an in-memory hub on one executor. Production code, not
// a test double: demos, benchmarks and the conformance suite run whole
// enrollments through it. Deterministic when the executor runs on one thread.
// Each direction is a byte stream carrying length-prefixed frames, decoded
// with the same decode_stream() as TCP; frames are never reordered.
//
// Fault injection: set_faults() wraps the primary-side link of every later
// connection in a FaultInjectingLink (fail the Nth read/write, drop after
// frame k, delay).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kda/core/fault_link.h"
#include "kda/core/transport.h"

namespace kda {

class LoopbackLink;

class LoopbackHub {
 public:
  // Every link of the hub runs on `executor`: pass a strand when the
  // io_context runs on more than one thread (on one thread it is implicitly
  // a strand, and skipping the wrapper saves a hop per frame).
  explicit LoopbackHub(asio::any_io_executor executor);
  ~LoopbackHub();
  LoopbackHub(const LoopbackHub&) = delete;
  LoopbackHub& operator=(const LoopbackHub&) = delete;

  // Links to `name` arrive at the returned listener. One listener per name.
  Result<std::unique_ptr<Listener>> listen(const std::string& name);
  std::unique_ptr<Connector> connector();
  std::unique_ptr<Advertiser> advertiser(const std::string& name);
  // What the hub's advertisers publish now, each with its listener's name as
  // the address (the loopback has no discovery: tests look here).
  std::vector<Advertisement> advertised() const;

  void set_faults(FaultPlan plan);

  // Opens a connection at once (no coroutine) and returns the target end as
  // its concrete type, for tests that write raw bytes.
  Result<std::unique_ptr<LoopbackLink>> connect_now(const std::string& name);

  asio::any_io_executor executor() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

class LoopbackLink final : public Link {
 public:
  struct Pipe;
  LoopbackLink(asio::any_io_executor executor, std::shared_ptr<Pipe> in, std::shared_ptr<Pipe> out,
               std::string peer);
  ~LoopbackLink() override;

  asio::any_io_executor executor() const override { return executor_; }
  v1::TransportKind kind() const override { return v1::TRANSPORT_LOOPBACK; }
  std::string peer() const override { return peer_; }
  asio::awaitable<Result<Bytes>> read_frame() override;
  asio::awaitable<std::error_code> write_frame(ByteView frame) override;
  void cancel() override;
  void close() override;

  // Puts bytes on the stream as they are, without a length prefix.
  std::error_code write_raw(ByteView bytes);

 private:
  asio::any_io_executor executor_;
  std::shared_ptr<Pipe> in_;
  std::shared_ptr<Pipe> out_;
  std::string peer_;
  bool closed_ = false;
  bool cancelled_ = false;
  bool reading_ = false;
};

}  // namespace kda
