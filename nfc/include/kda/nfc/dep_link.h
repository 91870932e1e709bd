// A kda Link over NFC DEP: frames are cut into PDUs of at most 262 bytes
// (dep_fragment.h) and pumped by the device thread; the session sees an
// ordinary link. Writes queue and complete once the pump has taken all but
// a few PDUs of the backlog; reads wait for whole frames. Ends with
// link_closed when the peer closed (CLOSE flag) and with link_failed when the
// field was lost (the card pulled away, a timeout). cancel() completes a
// waiting read and a waiting write with cancelled; a cancelled write's frame
// stays queued whole and is still sent, so the stream stays intact.
//
// Runs on the executor it was created with; the device thread only touches
// the shared channel. The Listener/Connector that made it owns the device: a
// link outliving it ends with link_closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kda/core/link.h"
#include "kda/nfc/dep_fragment.h"

namespace kda::nfc {

struct DepStats {
  std::uint64_t exchanges = 0;       // DEP exchanges (command + response)
  std::uint64_t data_exchanges = 0;  // ... that carried payload either way
  std::uint64_t bytes_sent = 0;      // stream bytes this side sent
  std::uint64_t bytes_received = 0;
  std::uint64_t pdu_bytes = 0;       // everything on the air, headers included
  std::vector<Turn> turns;           // what this side wrote, as turns (bench)
};

class DepChannel;

class DepLink final : public Link {
 public:
  // `primary`: this end is the DEP initiator (for the turn record in stats()).
  DepLink(std::shared_ptr<DepChannel> channel, std::string peer, bool primary);
  ~DepLink() override;

  asio::any_io_executor executor() const override;
  v1::TransportKind kind() const override { return v1::TRANSPORT_NFC; }
  std::string peer() const override { return peer_; }
  asio::awaitable<Result<Bytes>> read_frame() override;
  asio::awaitable<std::error_code> write_frame(ByteView frame) override;
  void cancel() override;
  void close() override;

  // Raw bytes into the carried stream, no framing (conformance tests).
  std::error_code write_raw(ByteView bytes);
  DepStats stats() const;

 private:
  std::shared_ptr<DepChannel> channel_;
  std::string peer_;
  bool primary_;
  std::vector<Turn> turns_;
  bool wrote_last_ = false;
  bool closed_ = false;
  bool reading_ = false;
  bool cancelled_ = false;  // the waiting read
  bool writing_ = false;
  bool write_cancelled_ = false;
};

}  // namespace kda::nfc
