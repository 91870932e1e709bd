#include "http_operations.h"

#include <openssl/rand.h>

#include <algorithm>
#include <vector>

#include "api/json_codec.h"
#include "kda/core/bytes.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/errors.h"

namespace kda::daemon {

Result<std::string> HttpOperations::start(const Owner& owner, std::size_t rows, std::int64_t now_ms) {
  prune(now_ms);
  const auto running = std::count_if(operations_.begin(), operations_.end(),
                                     [](const auto& entry) { return entry.second.finished_ms == 0; });
  if (static_cast<std::size_t>(running) >= kMaxRunning)
    return fail(ControlErrc::busy, std::to_string(kMaxRunning) + " large uploads are running already; try again later");
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
  if (Operation* op = finish(id, now_ms)) op->result = summary;
}

void HttpOperations::failed(const std::string& id, nlohmann::json problem, std::int64_t now_ms) {
  if (Operation* op = finish(id, now_ms)) op->problem = std::move(problem);
}

HttpOperations::Operation* HttpOperations::finish(const std::string& id, std::int64_t now_ms) {
  auto it = operations_.find(id);
  if (it == operations_.end()) return nullptr;
  it->second.finished_ms = now_ms;
  // The owner's ended ones, oldest ended first; the one just ended is last.
  std::vector<std::map<std::string, Operation>::iterator> ended;
  for (auto e = operations_.begin(); e != operations_.end(); ++e)
    if (e->second.owner == it->second.owner && e->second.finished_ms != 0) ended.push_back(e);
  std::stable_sort(ended.begin(), ended.end(), [&it](const auto& a, const auto& b) {
    if ((a == it) != (b == it)) return b == it;
    return a->second.finished_ms < b->second.finished_ms;
  });
  for (std::size_t i = 0; i + kMaxFinishedPerToken < ended.size(); ++i) operations_.erase(ended[i]);
  return &it->second;
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
