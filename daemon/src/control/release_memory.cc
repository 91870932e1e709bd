#include "release_memory.h"

#include <malloc.h>

namespace kda::daemon {

void release_free_memory() { ::malloc_trim(0); }

}  // namespace kda::daemon
