// The store's SQL numbers its parameters as SQLite writes them, ?1 ?2 ...;
// PostgreSQL's are $1 $2 .... A pure function turns one into the other,
// leaving alone what PostgreSQL's lexer reads as a string ('...' with ''
// escapes, E'...' with backslash escapes, $tag$...$tag$), a quoted
// identifier ("...") or a comment (-- to the line's end, nested /* */).
// It has a fuzzer (tests/fuzz/pg_placeholders_fuzz.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"

namespace kda::daemon {

// PostgreSQL's limit on a statement's parameters.
inline constexpr int kPgMaxParameters = 65535;

struct PgSql {
  std::string text;        // $n where the SQL had ?n
  int parameters = 0;      // the highest n (0: none)
  std::vector<bool> used;  // used[n - 1]: whether $n appears (a gap's type cannot be inferred)
};

// Refused (StoreErrc::unavailable, a bug in kda's SQL) for a bare ? or
// ?0: in PostgreSQL a ? is an operator, and SQLite numbers from 1; and for
// a number above kPgMaxParameters.
Result<PgSql> pg_placeholders(std::string_view sql);

}  // namespace kda::daemon
