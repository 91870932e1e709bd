#include "kda/core/prepared_package.h"

namespace kda {

PreparedPackage PreparedPackage::prepare(const v1::EnrollmentPackage& package) {
  PreparedPackage p;
  auto bytes = std::make_shared<std::string>(package.SerializeAsString());
  p.sha256_ = kda::sha256(as_bytes(*bytes));
  p.bytes_ = std::move(bytes);
  p.package_id_ = package.package_id();
  p.profile_name_ = package.profile().name();
  return p;
}

}  // namespace kda
