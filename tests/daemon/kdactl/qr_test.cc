#include "kda/daemon/qr.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace kda::qr {
namespace {

// The Default profile's provisioning JSON with its false booleans (561
// bytes): what kdad sent before it left those out.
const std::string kDefaultProfileJson =
    R"({"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"kda.server_url":"https://mdm.example.com/enroll"},)"
    R"("android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.example.mdm/.AdminReceiver",)"
    R"("android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://mdm.example.com/downloads/agent.apk",)"
    R"("android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"51xmcRTLTut3qsNOlLVKdzL66w27GwR1PQtwpP5LP6s=",)"
    R"("android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED":false,)"
    R"("android.app.extra.PROVISIONING_SKIP_EDUCATION_SCREENS":false})";

// Reads render_terminal()'s text back into light/dark cells, two rows a
// line: what a phone's camera sees. Escapes (the ansi colours) are skipped.
std::vector<std::vector<bool>> light_cells(const std::string& text) {
  std::vector<std::vector<bool>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<bool> top, bottom;
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] == '\x1b') {
        i = line.find('m', i) + 1;
        continue;
      }
      bool t = false, b = false;
      if (line.compare(i, 1, " ") == 0) {
        i += 1;
      } else if (line.compare(i, 3, "\u2584") == 0) {
        b = true, i += 3;
      } else if (line.compare(i, 3, "\u2580") == 0) {
        t = true, i += 3;
      } else if (line.compare(i, 3, "\u2588") == 0) {
        t = b = true, i += 3;
      } else {
        ADD_FAILURE() << "unexpected byte in line " << rows.size() / 2;
        return rows;
      }
      top.push_back(t);
      bottom.push_back(b);
    }
    rows.push_back(top);
    rows.push_back(bottom);
  }
  return rows;
}

// Every module of `qr` is where the text shows it, inside a light quiet zone.
void expect_decodes_to(const std::string& text, const QrMatrix& qr, int margin) {
  const auto cells = light_cells(text);
  const int side = qr.width + 2 * margin;
  ASSERT_GE(static_cast<int>(cells.size()), side);
  for (int y = 0; y < side; ++y) {
    ASSERT_EQ(static_cast<int>(cells[y].size()), side) << "row " << y;
    for (int x = 0; x < side; ++x)
      ASSERT_EQ(cells[y][x], !qr.at(x - margin, y - margin)) << "module " << x - margin << "," << y - margin;
  }
}

TEST(QrTerminal, ShortPayloadFitsAnEightyByTwentyFourTerminalWithItsQuietZone) {
  auto qr = encode_qr("https://mdm.example.com/enroll?t=0123456789");
  ASSERT_TRUE(qr) << qr.error().message();
  const std::string text = render_terminal(*qr, false);
  const TextSize size = terminal_size(*qr);
  EXPECT_LE(size.columns, kTerminalColumns);
  EXPECT_LE(size.lines, kTerminalLines);
  EXPECT_EQ(static_cast<int>(light_cells(text).size()) / 2, size.lines);
  expect_decodes_to(text, *qr, kTerminalMargin);
  EXPECT_EQ(fit_hint(*qr, {kTerminalColumns, kTerminalLines}, 3), "");
}

TEST(QrTerminal, EachHalfBlockMapsBackToTwoModulesWithAnsiColoursToo) {
  auto qr = encode_qr(kDefaultProfileJson);
  ASSERT_TRUE(qr) << qr.error().message();
  expect_decodes_to(render_terminal(*qr, false), *qr, kTerminalMargin);
  expect_decodes_to(render_terminal(*qr, true), *qr, kTerminalMargin);
  expect_decodes_to(render_terminal(*qr, false, 4), *qr, 4);
}

// M is kept while its symbol fits 80 columns; past that, L's smaller one.
TEST(QrTerminal, ErrorCorrectionDropsToLOnlyWhenThatNarrowsTheCode) {
  auto small = encode_qr(std::string(100, 'a'));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->width, 41);  // version 6 at M (L would be version 5, 37)
  auto fits_with_l = encode_qr(std::string(437, 'a'));
  ASSERT_TRUE(fits_with_l);
  EXPECT_EQ(fits_with_l->width, 73);  // version 14 at L; M's version 16 is 81 + 4 columns
  EXPECT_LE(terminal_size(*fits_with_l).columns, kTerminalColumns);
  auto typical = encode_qr(kDefaultProfileJson);
  ASSERT_TRUE(typical);
  EXPECT_EQ(typical->width, 81);  // version 16 at L: 85 columns, where M drew 97
  EXPECT_FALSE(encode_qr(std::string(3000, 'a')));
}

// No half-block drawing of an Android provisioning payload this size fits
// 24 lines: the admin is told so, and where to find the PNG.
TEST(QrTerminal, ACodeTallerThanTheTerminalSaysSo) {
  auto qr = encode_qr(kDefaultProfileJson);
  ASSERT_TRUE(qr);
  const std::string hint = fit_hint(*qr, {kTerminalColumns, kTerminalLines}, 3);
  EXPECT_NE(hint.find("85 columns by 43 lines"), std::string::npos) << hint;
  EXPECT_NE(hint.find("--png"), std::string::npos) << hint;
  EXPECT_EQ(fit_hint(*qr, {120, 50}, 3), "");
}

}  // namespace
}  // namespace kda::qr
