// QR codes of a profile: libqrencode makes the matrix; `kdactl profile qr`
// draws it to the terminal with half blocks, and kdactl --png and the HTTP
// API (GET /api/v1/profiles/{name}/qr.png) write it as a 1-bit PNG.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kda/core/error.h"

namespace kda::qr {

struct QrMatrix {
  int width = 0;
  std::vector<std::uint8_t> dark;  // width * width, row-major, 1 = dark module
  bool at(int x, int y) const {
    return x >= 0 && y >= 0 && x < width && y < width && dark[static_cast<std::size_t>(y * width + x)];
  }
};

// An 80-column terminal holds a code of this many modules plus the quiet zone.
inline constexpr int kTerminalColumns = 80;
inline constexpr int kTerminalLines = 24;
inline constexpr int kTerminalMargin = 2;  // light modules around the code on a terminal

// Byte mode, error correction M; L when the text is too long for M or when
// L's smaller symbol fits kTerminalColumns and M's does not (a screen shows
// the code without the smudges M guards against). Errors: EMSGSIZE
// (std::generic_category()) for a text no QR code holds, else the errno
// libqrencode left.
kda::Result<QrMatrix> encode_qr(std::string_view text);

// Half blocks: one module per column, two module rows per line, `margin`
// light modules around. Light modules are drawn as blocks; `ansi` forces
// white on black so any terminal theme scans.
std::string render_terminal(const QrMatrix& qr, bool ansi, int margin = kTerminalMargin);

// The columns and lines render_terminal() takes.
struct TextSize {
  int columns = 0;
  int lines = 0;
};
TextSize terminal_size(const QrMatrix& qr, int margin = kTerminalMargin);

// Empty when `qr` and `text_lines` more lines fit a terminal of the given
// size; else one line that says so and points to --png.
std::string fit_hint(const QrMatrix& qr, TextSize terminal, int text_lines);

// PNG bytes: `scale` pixels a module, `margin` modules of quiet zone. An
// error (libpng's, which has no code of its own) is EIO.
kda::Result<std::string> render_png(const QrMatrix& qr, int scale = 8, int margin = 4);

}  // namespace kda::qr
