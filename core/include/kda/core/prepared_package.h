// An enrollment package ready to send: serialized and digested once, then
// shared read-only by every session that delivers it (retries included), so
// a session never copies or re-hashes it. The target still verifies the
// digest on every delivery.
#pragma once

#include <memory>
#include <string>

#include "kda/core/digest.h"
#include "kda/proto/kda.pb.h"

namespace kda {

class PreparedPackage {
 public:
  PreparedPackage() = default;
  static PreparedPackage prepare(const v1::EnrollmentPackage& package);

  bool empty() const { return !bytes_ || bytes_->empty(); }
  const std::string& bytes() const { return *bytes_; }
  const Sha256& sha256() const { return sha256_; }
  const std::string& package_id() const { return package_id_; }
  const std::string& profile_name() const { return profile_name_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  Sha256 sha256_{};
  std::string package_id_;
  std::string profile_name_;
};

}  // namespace kda
