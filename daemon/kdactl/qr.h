// QR codes for `kdactl profile qr`: libqrencode makes the matrix; it is
// drawn to the terminal with half blocks and written as a 1-bit PNG.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace kdactl {

struct QrMatrix {
  int width = 0;
  std::vector<std::uint8_t> dark;  // width * width, row-major, 1 = dark module
  bool at(int x, int y) const {
    return x >= 0 && y >= 0 && x < width && y < width && dark[static_cast<std::size_t>(y * width + x)];
  }
};

// Byte mode, error correction M, else L when the text is too long for M.
tl::expected<QrMatrix, std::string> encode_qr(std::string_view text);

// Light modules as blocks, two rows a line, `margin` light modules around.
// `ansi` forces white on black so any terminal theme scans.
std::string render_terminal(const QrMatrix& qr, bool ansi, int margin = 2);

// PNG bytes: `scale` pixels a module, `margin` modules of quiet zone.
tl::expected<std::string, std::string> render_png(const QrMatrix& qr, int scale = 8, int margin = 4);

}  // namespace kdactl
