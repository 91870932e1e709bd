// Hands freed heap memory back to the system, so a burst of large control
// requests does not leave kdad holding their peak for good.
#pragma once

namespace kda::daemon {

// glibc's free arena memory (malloc_trim). Costs up to a few milliseconds:
// call it after bursts, not per request.
void release_free_memory();

}  // namespace kda::daemon
