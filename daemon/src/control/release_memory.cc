#include "release_memory.h"

#include <malloc.h>

// Declared weak rather than included from <gperftools/malloc_extension_c.h>:
// the libraries build without tcmalloc (sanitizers, -DKDA_TCMALLOC=OFF) and
// only the linked program decides which allocator it has.
extern "C" void MallocExtension_ReleaseFreeMemory() __attribute__((weak));

namespace kda::daemon {

void release_free_memory() {
  if (MallocExtension_ReleaseFreeMemory)
    MallocExtension_ReleaseFreeMemory();
  else
    ::malloc_trim(0);
}

}  // namespace kda::daemon
