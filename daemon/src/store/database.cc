#include "database.h"

namespace kda::daemon {

DbResult<CachedStatement> Database::cached(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return CachedStatement(it->second.get());
  auto stmt = prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  auto [it, added] = statements_.emplace(sql, std::move(*stmt));
  return CachedStatement(it->second.get());
}

// One transaction per version, each re-reading where the schema is once it
// holds the lock: a desk that waited for another one's migration finds it
// done and goes on.
DbResult<int> Database::migrate(std::span<const Migration> migrations) {
  const int newest = static_cast<int>(migrations.size());
  for (;;) {
    auto step = transaction([&]() -> DbResult<int> {
      if (auto locked = lock_schema(); !locked) return tl::unexpected(locked.error());
      auto version = schema_version();
      if (!version) return tl::unexpected(version.error());
      if (*version > newest)
        return fail(StoreErrc::schema_too_new, where_ + ": schema version " + std::to_string(*version) +
                                                   " was written by a newer kdad; this kdad knows up to version " +
                                                   std::to_string(newest));
      if (*version == newest) return newest;
      const Migration& next = migrations[static_cast<std::size_t>(*version)];
      if (auto ok = exec(next.sql); !ok)
        return fail(ok.error().code, where_ + ": cannot bring the schema to version " + std::to_string(next.version) +
                                         ": " + ok.error().detail);
      if (auto ok = set_schema_version(next.version); !ok) return tl::unexpected(ok.error());
      return *version;  // not there yet: once more
    });
    if (!step) return tl::unexpected(step.error());
    if (*step == newest) return newest;
  }
}

}  // namespace kda::daemon
