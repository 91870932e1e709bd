#include "kda/core/untrusted_text.h"

#include <gtest/gtest.h>

namespace kda {
namespace {

TEST(UntrustedText, PrintableAsciiIsKept) {
  EXPECT_EQ(escape_untrusted("device awaits approval (SM-G991B)"), "device awaits approval (SM-G991B)");
  EXPECT_EQ(escape_untrusted(""), "");
}

TEST(UntrustedText, ControlsAndEscapesBecomeHex) {
  EXPECT_EQ(escape_untrusted("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
  EXPECT_EQ(escape_untrusted("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(escape_untrusted(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_untrusted("\x7f"), "\\x7f");
  EXPECT_EQ(escape_untrusted("back\\slash"), "back\\\\slash");  // an escape cannot be forged
  EXPECT_EQ(escape_untrusted("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(UntrustedText, ControlsOnlyKeepsUtf8Readable) {
  EXPECT_EQ(escape_controls("profile \"Caf\xc3\xa9\" ok"), "profile \"Caf\xc3\xa9\" ok");
  EXPECT_EQ(escape_controls("a\nb\x1b[2J"), "a\\x0ab\\x1b[2J");
  EXPECT_EQ(escape_controls("csi\xc2\x9b" "2J"), "csi\\xc2\\x9b2J");  // C1 CSI as UTF-8
  EXPECT_EQ(escape_controls("\x7f"), "\\x7f");
  EXPECT_EQ(escape_controls("back\\slash"), "back\\slash");
}

TEST(UntrustedText, LongTextIsCutAndSaysHowLong) {
  const std::string long_text(500, 'a');
  const std::string out = escape_untrusted(long_text, 10);
  EXPECT_EQ(out, "aaaaaaaaaa...(500 bytes)");
  EXPECT_EQ(escape_untrusted(std::string(kMaxUntrustedText, 'b')), std::string(kMaxUntrustedText, 'b'));
}

}  // namespace
}  // namespace kda
