// The HTTP API's long operations: a devices upload of more than
// api::kAsyncUploadRows rows answers 202 at once with an operation to poll
// (GET /api/v1/operations/{id}), as the Knox and zero-touch APIs do, while
// the import runs through the control service as any other. Kept in
// memory: at most kMaxRunning run at once (desk-wide: a token cannot hold
// the desk's imports), and an ended one is kept for an hour, at most
// kMaxFinishedPerToken per token (its oldest ended one goes first). Lives
// on kdad's io_context thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kda/core/error.h"
#include "kda/daemon/roles.h"
#include "kda/proto/control.pb.h"

namespace kda::daemon {

class HttpOperations {
 public:
  static constexpr std::size_t kMaxRunning = 4;
  static constexpr std::size_t kMaxFinishedPerToken = 20;
  static constexpr std::int64_t kKeepMs = 60 * 60 * 1000;  // an ended one is kept this long

  // Who started an operation: the token (by id) and whether it may read
  // every operation (an msp-admin).
  struct Owner {
    std::string token_id;
    bool sees_all = false;
  };

  // A new running operation's id (16 hex digits); ControlErrc::busy when
  // kMaxRunning are running.
  Result<std::string> start(const Owner& owner, std::size_t rows, std::int64_t now_ms);
  // The import's answer: its summary, or the refusal's problem document.
  void succeeded(const std::string& id, const v1::ImportSummary& summary, std::int64_t now_ms);
  void failed(const std::string& id, nlohmann::json problem, std::int64_t now_ms);
  // The Operation document for `reader`; HttpErrc::unknown_operation when
  // there is none by that id or it is another token's.
  Result<nlohmann::json> read(const std::string& id, const Owner& reader, std::int64_t now_ms);

 private:
  struct Operation {
    std::string owner;  // the token id that started it
    std::size_t rows = 0;
    std::int64_t created_ms = 0;
    std::int64_t finished_ms = 0;  // 0: running
    std::optional<v1::ImportSummary> result;
    nlohmann::json problem;  // failed: the problem document
  };
  static nlohmann::json document(const std::string& id, const Operation& op);
  void prune(std::int64_t now_ms);  // ended ones older than kKeepMs go
  // `id` ended: its owner's oldest ended ones beyond kMaxFinishedPerToken go.
  Operation* finish(const std::string& id, std::int64_t now_ms);

  std::map<std::string, Operation> operations_;
};

}  // namespace kda::daemon
