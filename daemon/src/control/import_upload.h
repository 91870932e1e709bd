// One connection's chunked devices import: the DevicesImportChunk pieces,
// joined until the DevicesImportRequest with the last one arrives. The bytes
// that peers other than root have buffered count against a budget shared by
// every connection, so other users cannot take kdad's memory with uploads
// while root's always fit. Used on the control server's executor only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kda/core/error.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {

class ImportUpload {
 public:
  // `buffered` is the shared count and outlives this upload; `counted`: the
  // peer is not root, so its bytes count against `budget`.
  ImportUpload(std::size_t& buffered, std::size_t max_size, std::size_t budget, bool counted)
      : buffered_(buffered), max_size_(max_size), budget_(budget), counted_(counted) {}
  ~ImportUpload() { drop(); }
  ImportUpload(const ImportUpload&) = delete;
  ImportUpload& operator=(const ImportUpload&) = delete;

  bool active() const { return active_; }
  std::size_t size() const { return csv_.size(); }

  // Appends a piece. Errors (the upload is dropped): the joined CSV would
  // pass max_size (ControlErrc::request_too_large), or the shared budget is
  // spent (ControlErrc::busy).
  Result<void> add(std::string_view piece);
  // The joined CSV; the upload is over.
  std::string take();
  // Ends the upload, discarding what arrived.
  void drop();

 private:
  void give_back();

  std::size_t& buffered_;
  const std::size_t max_size_;
  const std::size_t budget_;
  const bool counted_;
  bool active_ = false;
  std::string csv_;
};

}  // namespace kda::daemon
