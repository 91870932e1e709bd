// kda-api-routes: the HTTP API's route table as JSON,
// [{"method", "path", "summary"}, ...], so the docs contract test can hold
// docs/openapi.yaml to the routes the code has.
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/api_routes.h"

int main() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : kda::api::routes())
    out.push_back({{"method", r.method}, {"path", r.path}, {"summary", r.summary}});
  std::cout << out.dump(2) << "\n";
  return 0;
}
