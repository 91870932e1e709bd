#include "http_operations.h"

#include <openssl/rand.h>

#include "api/json_codec.h"
#include "kda/core/bytes.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {

Result<std::string> HttpOperations::start(const Owner& owner, std::size_t rows, std::int64_t now_ms) {
  prune(now_ms);
  if (operations_.size() >= kMaxOperations)
    return fail(ControlErrc::busy, std::to_string(kMaxOperations) +
                                       " uploads are running or kept for an hour already; try again later");
  std::string id;
  do {
    std::uint8_t bytes[8];
    RAND_bytes(bytes, sizeof bytes);
    id = to_hex(ByteView(bytes, sizeof bytes));
  } while (operations_.count(id));
  operations_[id] = Operation{.owner = owner.token_id, .rows = rows, .created_ms = now_ms};
  return id;
}

void HttpOperations::succeeded(const std::string& id, const v1::ImportSummary& summary, std::int64_t now_ms) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return;
  it->second.finished_ms = now_ms;
  it->second.result = summary;
}

void HttpOperations::failed(const std::string& id, nlohmann::json problem, std::int64_t now_ms) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return;
  it->second.finished_ms = now_ms;
  it->second.problem = std::move(problem);
}

Result<nlohmann::json> HttpOperations::read(const std::string& id, const Owner& reader, std::int64_t now_ms) {
  prune(now_ms);
  auto it = operations_.find(id);
  // Another token's operation is as unknown as none: its id says nothing.
  if (it == operations_.end() || (!reader.sees_all && it->second.owner != reader.token_id))
    return fail(HttpErrc::unknown_operation, "no operation " + id);
  return document(id, it->second);
}

nlohmann::json HttpOperations::document(const std::string& id, const Operation& op) {
  nlohmann::json out = {{"id", id},
                        {"kind", "devices_import"},
                        {"created", iso8601(op.created_ms)},
                        {"rows", op.rows}};
  if (op.finished_ms == 0) {
    out["state"] = "running";
    return out;
  }
  out["finished"] = iso8601(op.finished_ms);
  if (op.result) {
    out["state"] = "succeeded";
    out["result"] = api::message_to_json_value(*op.result);
  } else {
    out["state"] = "failed";
    out["problem"] = op.problem;
  }
  return out;
}

void HttpOperations::prune(std::int64_t now_ms) {
  std::erase_if(operations_, [now_ms](const auto& entry) {
    return entry.second.finished_ms != 0 && entry.second.finished_ms + kKeepMs <= now_ms;
  });
}

}  // namespace kda::daemon
