// libFuzzer target: arbitrary SQL through pg_placeholders
// (daemon/src/store/pg_placeholders.h). What it accepts comes back with every
// ?n outside strings, quoted identifiers and comments turned into $n: a
// second pass finds nothing left to number and changes nothing; the count
// of parameters is the highest number used, which is marked used.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pg_placeholders.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  auto pg = kda::daemon::pg_placeholders(sql);
  if (!pg) return 0;
  if (pg->parameters < 0 || pg->parameters > kda::daemon::kPgMaxParameters) __builtin_trap();
  if (pg->used.size() != static_cast<std::size_t>(pg->parameters)) __builtin_trap();
  if (pg->parameters > 0 && !pg->used.back()) __builtin_trap();
  auto again = kda::daemon::pg_placeholders(pg->text);
  if (!again || again->parameters != 0 || again->text != pg->text) __builtin_trap();
  return 0;
}
