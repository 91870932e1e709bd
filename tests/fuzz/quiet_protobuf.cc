// Linked into every fuzzer: protobuf would print a line to stderr for each
// input that is not valid UTF-8 where a string is expected (~200k lines in
// a 3-minute run), burying libFuzzer's own output.
#include "kda/core/protobuf_log.h"

namespace {

const bool kQuiet = (kda::route_protobuf_log({}), true);

}  // namespace
