// The Wi-Fi rules of a profile: what stock Android's provisioning and Wi-Fi
// stack accept, so a profile kda takes is one a phone can join with
// (profile_catalog.cc adds them to the other KME rules). Private to the model.
#pragma once

#include <string>
#include <vector>

#include "kda/proto/kda.pb.h"

namespace kda::daemon {

struct FieldProblem {
  std::string field;    // "wifi.password"
  std::string message;  // never holds a secret
};

std::vector<FieldProblem> wifi_problems(const v1::WifiSettings& wifi);

}  // namespace kda::daemon
