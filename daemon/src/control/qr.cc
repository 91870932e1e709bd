#include "kda/daemon/qr.h"

#include <png.h>
#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>

namespace kda::qr {

kda::Result<QrMatrix> encode_qr(std::string_view text) {
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  QRcode* code = QRcode_encodeData(static_cast<int>(text.size()), data, 0, QR_ECLEVEL_M);
  if (!code || code->width + 2 * kTerminalMargin > kTerminalColumns) {
    QRcode* smaller = QRcode_encodeData(static_cast<int>(text.size()), data, 0, QR_ECLEVEL_L);
    if (smaller && code && smaller->width == code->width) {
      QRcode_free(smaller);  // no smaller: keep M's stronger error correction
    } else if (smaller || !code) {
      if (code) QRcode_free(code);
      code = smaller;
    }
  }
  if (!code) {
    const int err = errno;
    if (err == ERANGE)
      return kda::fail(std::make_error_code(std::errc::message_size),
                       "the QR payload (" + std::to_string(text.size()) +
                           " bytes) does not fit a QR code (at most 2953); shorten the profile's custom JSON");
    return kda::fail(std::error_code(err != 0 ? err : EINVAL, std::generic_category()), "cannot encode the QR code");
  }
  QrMatrix m;
  m.width = code->width;
  const std::size_t n = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  m.dark.resize(n);
  for (std::size_t i = 0; i < n; ++i) m.dark[i] = code->data[i] & 1;
  QRcode_free(code);
  return m;
}

std::string render_terminal(const QrMatrix& qr, bool ansi, int margin) {
  static constexpr const char* kGlyph[4] = {" ", "\u2584", "\u2580", "\u2588"};  // index: top<<1 | bottom
  std::string out;
  const int lo = -margin, hi = qr.width + margin;
  for (int y = lo; y < hi; y += 2) {
    if (ansi) out += "\x1b[97;40m";
    for (int x = lo; x < hi; ++x) {
      const bool top_light = !qr.at(x, y);
      const bool bottom_light = y + 1 < hi && !qr.at(x, y + 1);
      out += kGlyph[(top_light ? 2 : 0) | (bottom_light ? 1 : 0)];
    }
    if (ansi) out += "\x1b[0m";
    out += '\n';
  }
  return out;
}

TextSize terminal_size(const QrMatrix& qr, int margin) {
  const int side = qr.width + 2 * margin;
  return {side, (side + 1) / 2};
}

std::string fit_hint(const QrMatrix& qr, TextSize terminal, int text_lines) {
  const TextSize need = terminal_size(qr);
  if (need.columns <= terminal.columns && need.lines + text_lines <= terminal.lines) return {};
  return "The code takes " + std::to_string(need.columns) + " columns by " + std::to_string(need.lines) +
         " lines; this terminal has " + std::to_string(terminal.columns) + " by " + std::to_string(terminal.lines) +
         ". Enlarge the window or make the font smaller until it shows whole, or scan the --png image.\n";
}

namespace {

void append_to_string(png_structp png, png_bytep data, png_size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), size);
}

// libpng reports errors by longjmp: nothing with a destructor may be created
// between setjmp and the calls that can jump.
bool encode_png(const QrMatrix& qr, int scale, int margin, std::string* out, std::vector<png_byte>& row) {
  const auto side = static_cast<png_uint_32>((qr.width + 2 * margin) * scale);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, append_to_string, nullptr);
  png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (png_uint_32 py = 0; py < side; ++py) {
    std::fill(row.begin(), row.end(), png_byte{0});
    const int y = static_cast<int>(py) / scale - margin;
    for (png_uint_32 px = 0; px < side; ++px) {
      const int x = static_cast<int>(px) / scale - margin;
      if (!qr.at(x, y)) row[px / 8] |= static_cast<png_byte>(0x80u >> (px % 8));  // 1 = white
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

kda::Result<std::string> render_png(const QrMatrix& qr, int scale, int margin) {
  const int side = (qr.width + 2 * margin) * scale;
  std::vector<png_byte> row(static_cast<std::size_t>(side + 7) / 8);
  std::string out;
  if (!encode_png(qr, scale, margin, &out, row))
    return kda::fail(std::make_error_code(std::errc::io_error), "cannot encode the PNG image");
  return out;
}

}  // namespace kda::qr
