#include "kda/nfc/nfc_tag.h"

#include <algorithm>

namespace kda::nfc {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kActivationWindow{1000};  // one wait for a reader's field
constexpr std::chrono::milliseconds kCommandWait{5000};       // a reader silent this long has gone
constexpr int kSendTimeoutMs = 3000;

int window_ms(Clock::time_point until, std::chrono::milliseconds most) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  return static_cast<int>(std::clamp(left, std::chrono::milliseconds(1), most).count());
}

enum class Served { reader_gone, reads_done };

// One activation: APDUs until the reader releases us or the reads are done.
Served serve_reader(NfcDevice& device, Type4Tag& tag, const TagRun& run, int& reads) {
  tag.reset();
  while (!(run.cancel && *run.cancel) && Clock::now() < run.until) {
    auto command = device.target_receive(window_ms(run.until, kCommandWait));
    if (!command) return Served::reader_gone;  // released, field gone or silent
    auto answer = tag.respond(*command);
    if (!device.target_send(answer.response, kSendTimeoutMs)) return Served::reader_gone;
    if (!answer.completed_read) continue;
    ++reads;
    if (run.on_read) run.on_read(reads);
    if (reads >= run.reads) return Served::reads_done;
  }
  return Served::reader_gone;
}

}  // namespace

TagOutcome serve_tag(NfcDevice& device, Type4Tag tag, const TagRun& run) {
  TagOutcome out;
  while (true) {
    if (run.cancel && *run.cancel) {
      out.end = TagEnd::cancelled;
      break;
    }
    if (Clock::now() >= run.until) {
      out.end = TagEnd::expired;
      break;
    }
    auto activated = device.card_init(window_ms(run.until, kActivationWindow));
    if (run.cancel && *run.cancel) continue;
    if (!activated) {
      out.error = activated.error().message();
      break;
    }
    if (*activated && serve_reader(device, tag, run, out.reads) == Served::reads_done) {
      out.end = TagEnd::reads_done;
      break;
    }
  }
  device.idle();  // field off: no tag left behind
  return out;
}

std::string describe(const TagOutcome& o) {
  const std::string reads = std::to_string(o.reads) + (o.reads == 1 ? " read" : " reads");
  switch (o.end) {
    case TagEnd::reads_done: return reads + ", all it was armed for";
    case TagEnd::expired: return reads + ", then its time ran out";
    case TagEnd::cancelled: return reads + ", then disarmed";
    case TagEnd::failed: return reads + ", then the reader failed: " + o.error;
  }
  return reads;
}

}  // namespace kda::nfc
