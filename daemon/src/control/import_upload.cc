#include "import_upload.h"

#include <utility>

namespace kda::daemon {
namespace {

std::string mib(std::size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

}  // namespace

Result<void> ImportUpload::add(std::string_view piece) {
  if (csv_.size() + piece.size() > max_size_) {
    drop();
    return fail(ControlErrc::request_too_large,
                "devices import too large: more than " + mib(max_size_) + " of CSV; nothing imported");
  }
  if (counted_ && buffered_ + piece.size() > budget_) {
    drop();
    return fail(ControlErrc::busy, "kdad is busy receiving other uploads; try again shortly; nothing imported");
  }
  active_ = true;
  csv_.append(piece);
  if (counted_) buffered_ += piece.size();
  return {};
}

std::string ImportUpload::take() {
  give_back();
  active_ = false;
  return std::exchange(csv_, std::string());
}

void ImportUpload::drop() {
  give_back();
  active_ = false;
  std::string().swap(csv_);  // clear() would keep the capacity
}

void ImportUpload::give_back() {
  if (counted_) buffered_ -= csv_.size();
}

}  // namespace kda::daemon
