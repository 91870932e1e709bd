#include "kda/nfc/t4t_tag.h"

#include <algorithm>
#include <array>

namespace kda::nfc {
namespace {

constexpr std::uint8_t kIns_select = 0xA4;
constexpr std::uint8_t kIns_read_binary = 0xB0;
constexpr std::uint8_t kIns_update_binary = 0xD6;
constexpr std::array<std::uint8_t, 7> kNdefAid{0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01};
constexpr std::uint16_t kCcFile = 0xE103;
constexpr std::uint16_t kNdefFile = 0xE104;
constexpr std::uint16_t kMaxCommandData = 0x00FF;  // MLc: the tag takes no writes anyway

Type4Tag::Answer status(std::uint16_t word) {
  return {{static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word)}, false};
}

void put16(Bytes& out, std::size_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

}  // namespace

Result<Type4Tag> Type4Tag::make(ByteView message) {
  if (message.empty()) return fail(Errc::invalid_frame, "a Type 4 Tag needs an NDEF message; this one is empty");
  if (message.size() > kT4tMaxMessage)
    return fail(Errc::package_too_large, "the NDEF message is " + std::to_string(message.size()) +
                                             " bytes; a Type 4 Tag holds at most " +
                                             std::to_string(kT4tMaxMessage));
  Bytes file;
  put16(file, message.size());
  file.insert(file.end(), message.begin(), message.end());
  Bytes cc;
  put16(cc, 0x000F);  // CCLEN
  cc.push_back(0x20);  // mapping version 2.0
  put16(cc, kT4tMaxRead);
  put16(cc, kMaxCommandData);
  cc.insert(cc.end(), {0x04, 0x06});  // NDEF File Control TLV
  put16(cc, kNdefFile);
  put16(cc, file.size());  // maximum NDEF file size: exactly this file, nothing to grow into
  cc.insert(cc.end(), {0x00, 0xFF});  // read access granted, write access none
  return Type4Tag(std::move(cc), std::move(file));
}

Type4Tag::Type4Tag(Bytes cc, Bytes ndef_file) : cc_(std::move(cc)), ndef_file_(std::move(ndef_file)) { reset(); }

void Type4Tag::reset() {
  application_selected_ = false;
  selected_ = File::none;
  read_.assign(ndef_file_.size(), false);
  unread_ = ndef_file_.size();
}

Type4Tag::Answer Type4Tag::respond(ByteView command) {
  if (command.size() < 4) return status(sw::wrong_length);
  if (command[0] != 0x00) return status(sw::cla_not_supported);
  switch (command[1]) {
    case kIns_select:
      return select(command);
    case kIns_read_binary:
      return read_binary(command);
    case kIns_update_binary:
      // Read-only (write access FF in the CC): the record is the admin's.
      return status(selected_ == File::none ? sw::no_current_ef : sw::not_allowed);
    default:
      return status(sw::ins_not_supported);
  }
}

// SELECT: CLA A4 P1 P2 Lc data [Le]. By name (P1 04) only the NDEF Tag
// Application; by file identifier (P1 00) the CC and NDEF files inside it.
Type4Tag::Answer Type4Tag::select(ByteView c) {
  if (c.size() < 5 || c[4] == 0 || (c.size() != 5u + c[4] && c.size() != 6u + c[4]))
    return status(sw::wrong_length);
  const ByteView data = c.subspan(5, c[4]);
  const std::uint8_t p1 = c[2], p2 = c[3];
  if (p1 == 0x04) {
    if (p2 != 0x00) return status(sw::wrong_p1p2);
    selected_ = File::none;
    application_selected_ = std::ranges::equal(data, kNdefAid);
    return status(application_selected_ ? sw::ok : sw::not_found);
  }
  if (p1 != 0x00 || (p2 != 0x0C && p2 != 0x00)) return status(sw::wrong_p1p2);
  if (data.size() != 2) return status(sw::wrong_length);
  const std::uint16_t id = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
  selected_ = File::none;
  if (!application_selected_) return status(sw::not_found);
  if (id == kCcFile) {
    selected_ = File::cc;
  } else if (id == kNdefFile) {
    selected_ = File::ndef;
    read_.assign(ndef_file_.size(), false);  // a read procedure starts here
    unread_ = ndef_file_.size();
  } else {
    return status(sw::not_found);
  }
  return status(sw::ok);
}

// READ BINARY: CLA B0 P1 P2 Le, offset P1P2 (15 bits), Le 00 = 256, at
// most MLe bytes answered.
Type4Tag::Answer Type4Tag::read_binary(ByteView c) {
  if (selected_ == File::none) return status(sw::no_current_ef);
  if (c.size() != 5) return status(sw::wrong_length);
  if (c[2] & 0x80) return status(sw::wrong_p1p2);  // short EF identifiers: not in a T4T
  const Bytes& file = selected_ == File::cc ? cc_ : ndef_file_;
  const std::size_t offset = static_cast<std::size_t>((c[2] << 8) | c[3]);
  if (offset >= file.size()) return status(sw::offset_outside);
  const std::size_t want = std::min<std::size_t>(c[4] == 0 ? 256 : c[4], kT4tMaxRead);
  const std::size_t n = std::min(want, file.size() - offset);
  Answer answer;
  answer.response.assign(file.begin() + static_cast<long>(offset), file.begin() + static_cast<long>(offset + n));
  put16(answer.response, n < want ? sw::end_of_file : sw::ok);
  if (selected_ == File::ndef) answer.completed_read = mark_read(offset, n);
  return answer;
}

bool Type4Tag::mark_read(std::size_t offset, std::size_t length) {
  for (std::size_t k = offset; k < offset + length; ++k) {
    if (!read_[k]) {
      read_[k] = true;
      --unread_;
    }
  }
  if (unread_ != 0) return false;
  ++completed_reads_;
  // A reader that reads the file again has read it twice.
  read_.assign(ndef_file_.size(), false);
  unread_ = ndef_file_.size();
  return true;
}

}  // namespace kda::nfc
