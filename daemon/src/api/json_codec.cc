// JSON <-> protobuf by reflection (json_codec.h). Decoding walks the
// Descriptor itself rather than calling protobuf's JsonStringToMessage: that
// one's errors do not name the field, and it takes the camelCase spellings,
// duplicate keys and "1.0" for an integer, where the API wants one strict
// spelling and a refusal that says which field to fix.
#include "api/json_codec.h"

#include <google/protobuf/descriptor.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kda/daemon/device.h"
#include "kda/daemon/errors.h"

namespace kda::api {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using kda::daemon::HttpErrc;
using nlohmann::json;

// Deeper than any of our messages nests. Refused while parsing, so neither
// the recursive walk below nor anything else ever sees a deeper tree.
constexpr std::size_t kMaxDepth = 32;

std::string member_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string element_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

tl::unexpected<Error> invalid(const std::string& path, std::string_view what) {
  return fail(HttpErrc::invalid_field, path + ": " + std::string(what));
}

tl::unexpected<Error> out_of_range(const std::string& path, const FieldDescriptor& f) {
  return invalid(path, "out of range for " + std::string(f.type_name()));
}

// A JSON value as a refusal may quote it; invalid UTF-8 (possible only in
// a value a caller built) becomes U+FFFD instead of an exception.
std::string shown(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// ---- parsing: nlohmann's DOM builder, plus duplicate keys and depth --------
// nlohmann keeps the last of two equal keys; its SAX parser is iterative (a
// state stack), so counting depth here bounds everything after it.
class StrictParser {
 public:
  std::optional<Error> refusal;  // why this handler stopped the parse

  explicit StrictParser(json& root) : dom_(root, /*allow_exceptions=*/false) {}

  bool null() { return next_element(), dom_.null(); }
  bool boolean(bool v) { return next_element(), dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return next_element(), dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return next_element(), dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const std::string& s) { return next_element(), dom_.number_float(v, s); }
  bool string(std::string& v) { return next_element(), dom_.string(v); }
  bool binary(json::binary_t& v) { return next_element(), dom_.binary(v); }
  bool start_object(std::size_t n) { return open(true) && dom_.start_object(n); }
  bool start_array(std::size_t n) { return open(false) && dom_.start_array(n); }
  bool end_object() { return frames_.pop_back(), dom_.end_object(); }
  bool end_array() { return frames_.pop_back(), dom_.end_array(); }

  bool key(std::string& k) {
    if (!frames_.back().keys.insert(k).second) {
      refusal = Error(HttpErrc::invalid_field, member_path(path(), k) + ": duplicate key");
      return false;
    }
    frames_.back().key = k;
    return dom_.key(k);
  }

  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& ex) {
    dom_.parse_error(position, token, ex);
    // "[json.exception.parse_error.101] parse error at line 1, column 9:
    // syntax error ...; last read: '...'": the position and the reason.
    std::string_view what = ex.what();
    std::string reason = "a number is out of range";
    if (const auto at = what.find("parse error at "); at != std::string_view::npos) {
      what.remove_prefix(at + std::string_view("parse error at ").size());
      reason = std::string(what.substr(0, what.find("; last read")));
    }
    refusal = Error(HttpErrc::bad_request, "malformed JSON: " + reason);
    return false;
  }

 private:
  struct Frame {
    bool object = false;
    std::unordered_set<std::string> keys;
    std::string key;            // object: the current key
    std::size_t elements = 0;   // array: how many elements have started
  };

  // A value starts: inside an array it is the next element.
  void next_element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().elements;
  }

  bool open(bool object) {
    next_element();
    if (frames_.size() >= kMaxDepth) {
      refusal = Error(HttpErrc::bad_request, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      return false;
    }
    frames_.push_back(Frame{object, {}, {}, 0});
    return true;
  }

  // The JSON path of the innermost open object ("devices[3]").
  std::string path() const {
    std::string out;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      out = f.object ? member_path(out, f.key) : element_path(out, f.elements - 1);
    }
    return out;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<Frame> frames_;
};

// ---- base64 (RFC 4648; protobuf's JSON mapping takes both alphabets) --------
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Standard or URL-safe, padded or not; nothing else (no line breaks).
std::optional<std::string> decode_base64(std::string_view text) {
  if (!text.empty() && text.back() == '=') {
    if (text.size() % 4 != 0) return std::nullopt;
    text.remove_suffix(text.ends_with("==") ? 2 : 1);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int digit = base64_digit(c);
    if (digit < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return bytes;
}

// Standard alphabet with padding, as protobuf's JSON printer writes bytes.
std::string encode_base64(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k)
      group = (group << 8) | (k < n ? static_cast<std::uint8_t>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k)
      text.push_back(k <= n ? kBase64Alphabet[(group >> (18 - 6 * k)) & 0x3F] : '=');
  }
  return text;
}

// ---- decoding: one field's value -------------------------------------------
// An integer of type T: a JSON integer in T's range, or for the 64-bit types
// also a decimal string (protobuf's JSON mapping writes them so).
template <typename T>
Result<T> read_integer(const json& v, const FieldDescriptor& f, const std::string& path) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    return std::in_range<T>(n) ? Result<T>(static_cast<T>(n)) : out_of_range(path, f);
  }
  if (v.is_number_integer()) {
    const auto n = v.get<std::int64_t>();
    return std::in_range<T>(n) ? Result<T>(static_cast<T>(n)) : out_of_range(path, f);
  }
  // A literal too large for 64 bits arrives as a double.
  if (v.is_number_float() && std::fabs(v.get<double>()) >= 9223372036854775808.0) return out_of_range(path, f);
  if (sizeof(T) == 8 && v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (std::is_unsigned_v<T> && s.size() > 1 && s[0] == '-' && s.find_first_not_of("0123456789", 1) == s.npos)
      return out_of_range(path, f);
    T n{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc::result_out_of_range) return out_of_range(path, f);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
    return invalid(path, "expected an integer (a number or a decimal string)");
  }
  return invalid(path, "expected an integer");
}

// A double or float: any JSON number, or the mapping's "NaN", "Infinity", "-Infinity".
Result<double> read_real(const json& v, const FieldDescriptor& f, const std::string& path) {
  double d = 0;
  if (v.is_number()) {
    d = v.get<double>();
  } else if (v.is_string() && (v == "NaN" || v == "Infinity" || v == "-Infinity")) {
    const auto& s = v.get_ref<const std::string&>();
    d = s == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                   : (s[0] == '-' ? -1 : 1) * std::numeric_limits<double>::infinity();
  } else {
    return invalid(path, "expected a number");
  }
  if (f.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT && std::isfinite(d) &&
      std::fabs(d) > std::numeric_limits<float>::max())
    return out_of_range(path, f);
  return d;
}

// An enum value by its proto name (or its number, as the mapping allows).
Result<int> read_enum(const json& v, const FieldDescriptor& f, const std::string& path) {
  const auto& type = *f.enum_type();
  const google::protobuf::EnumValueDescriptor* value = nullptr;
  if (v.is_string()) {
    value = type.FindValueByName(v.get_ref<const std::string&>());
  } else if (v.is_number_integer()) {
    const bool fits = v.is_number_unsigned() ? std::in_range<int>(v.get<std::uint64_t>())
                                             : std::in_range<int>(v.get<std::int64_t>());
    value = fits ? type.FindValueByNumber(static_cast<int>(v.get<std::int64_t>())) : nullptr;
  } else {
    return invalid(path, "expected a string");
  }
  if (value) return value->number();
  std::string names;
  for (int i = 0; i < type.value_count(); ++i) names += (i ? ", " : "") + type.value(i)->name();
  return invalid(path, "unknown value " + shown(v) + " (one of: " + names + ")");
}

Result<void> decode_object(const json& object, Message& out, const std::string& path);

// Sets `f` from `v`, or adds `v` to it when `f` is repeated (v is then one element).
template <typename T, typename Set, typename Add>
Result<void> store(const Result<T>& value, Message& m, const FieldDescriptor& f, Set set, Add add) {
  if (!value) return tl::unexpected(value.error());
  const Reflection& r = *m.GetReflection();
  f.is_repeated() ? (r.*add)(&m, &f, *value) : (r.*set)(&m, &f, *value);
  return {};
}

// One value of `f`: checked against the field's type, then set (or added
// when f is repeated and v is one of its elements).
Result<void> decode_value(const json& v, Message& m, const FieldDescriptor& f, const std::string& path) {
  using R = Reflection;
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return store(read_integer<std::int32_t>(v, f, path), m, f, &R::SetInt32, &R::AddInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return store(read_integer<std::int64_t>(v, f, path), m, f, &R::SetInt64, &R::AddInt64);
    case FieldDescriptor::CPPTYPE_UINT32:
      return store(read_integer<std::uint32_t>(v, f, path), m, f, &R::SetUInt32, &R::AddUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return store(read_integer<std::uint64_t>(v, f, path), m, f, &R::SetUInt64, &R::AddUInt64);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return store(read_real(v, f, path), m, f, &R::SetDouble, &R::AddDouble);
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const auto d = read_real(v, f, path);
      return store(d.map([](double x) { return static_cast<float>(x); }), m, f, &R::SetFloat, &R::AddFloat);
    }
    case FieldDescriptor::CPPTYPE_ENUM:
      return store(read_enum(v, f, path), m, f, &R::SetEnumValue, &R::AddEnumValue);
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!v.is_boolean()) return invalid(path, "expected a boolean");
      return store(Result<bool>(v.get<bool>()), m, f, &R::SetBool, &R::AddBool);
    case FieldDescriptor::CPPTYPE_STRING: {
      const bool bytes = f.type() == FieldDescriptor::TYPE_BYTES;
      if (!v.is_string()) return invalid(path, bytes ? "expected a base64 string" : "expected a string");
      const auto& s = v.get_ref<const std::string&>();
      // Checked for a value a caller built; parsed text is checked whole.
      if (!bytes && !valid_utf8(s)) return invalid(path, "invalid UTF-8");
      auto value = bytes ? decode_base64(s) : std::optional<std::string>(s);
      if (!value) return invalid(path, "not base64");
      return store(Result<std::string>(std::move(*value)), m, f, &R::SetString, &R::AddString);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!v.is_object()) return invalid(path, "expected an object");
      const Reflection& r = *m.GetReflection();
      return decode_object(v, f.is_repeated() ? *r.AddMessage(&m, &f) : *r.MutableMessage(&m, &f), path);
    }
  }
  return invalid(path, "unsupported field type");
}

Result<void> decode_field(const json& v, Message& m, const FieldDescriptor& f, const std::string& path) {
  if (v.is_null()) return {};  // the mapping's "default": left unset
  if (f.is_map()) return invalid(path, "maps are not supported");
  if (!f.is_repeated()) return decode_value(v, m, f, path);
  if (!v.is_array()) return invalid(path, "expected an array");
  for (std::size_t i = 0; i < v.size(); ++i)
    if (auto done = decode_value(v[i], m, f, element_path(path, i)); !done) return done;
  return {};
}

// Fields by their proto names only: one spelling, as the API documents.
Result<void> decode_object(const json& object, Message& out, const std::string& path) {
  const auto& type = *out.GetDescriptor();
  const Reflection& r = *out.GetReflection();
  for (const auto& [key, value] : object.items()) {
    const std::string at = member_path(path, key);
    const FieldDescriptor* f = type.FindFieldByName(key);
    if (!f) return invalid(at, "unknown field");
    if (value.is_null()) continue;
    if (const auto* oneof = f->real_containing_oneof(); oneof && r.HasOneof(out, oneof))
      return invalid(at, "only one of " + oneof->name() + " may be set (" +
                             r.GetOneofFieldDescriptor(out, oneof)->name() + " is too)");
    if (auto done = decode_field(value, out, *f, at); !done) return done;
  }
  return {};
}

// ---- encoding ----------------------------------------------------------------
json real_to_json(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

// Field `f` of `m`, or its element `i` when f is repeated.
json field_to_json(const Message& m, const FieldDescriptor& f, int i) {
  const Reflection& r = *m.GetReflection();
  const bool rep = f.is_repeated();
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return rep ? r.GetRepeatedInt32(m, &f, i) : r.GetInt32(m, &f);
    case FieldDescriptor::CPPTYPE_INT64: return rep ? r.GetRepeatedInt64(m, &f, i) : r.GetInt64(m, &f);
    case FieldDescriptor::CPPTYPE_UINT32: return rep ? r.GetRepeatedUInt32(m, &f, i) : r.GetUInt32(m, &f);
    case FieldDescriptor::CPPTYPE_UINT64: return rep ? r.GetRepeatedUInt64(m, &f, i) : r.GetUInt64(m, &f);
    case FieldDescriptor::CPPTYPE_DOUBLE: return real_to_json(rep ? r.GetRepeatedDouble(m, &f, i) : r.GetDouble(m, &f));
    case FieldDescriptor::CPPTYPE_FLOAT: return real_to_json(rep ? r.GetRepeatedFloat(m, &f, i) : r.GetFloat(m, &f));
    case FieldDescriptor::CPPTYPE_BOOL: return rep ? r.GetRepeatedBool(m, &f, i) : r.GetBool(m, &f);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int n = rep ? r.GetRepeatedEnumValue(m, &f, i) : r.GetEnumValue(m, &f);
      const auto* value = f.enum_type()->FindValueByNumber(n);
      return value ? json(value->name()) : json(n);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r.GetRepeatedStringReference(m, &f, i, &scratch) : r.GetStringReference(m, &f, &scratch);
      return f.type() == FieldDescriptor::TYPE_BYTES ? json(encode_base64(s)) : json(s);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return message_to_json_value(rep ? r.GetRepeatedMessage(m, &f, i) : r.GetMessage(m, &f));
  }
  return nullptr;
}

// A map as the mapping writes it: an object keyed by the keys' text.
json map_to_json(const Message& m, const FieldDescriptor& f) {
  json object = json::object();
  const Reflection& r = *m.GetReflection();
  for (int i = 0; i < r.FieldSize(m, &f); ++i) {
    const Message& entry = r.GetRepeatedMessage(m, &f, i);
    const json key = field_to_json(entry, *f.message_type()->map_key(), -1);
    object[key.is_string() ? key.get<std::string>() : shown(key)] =
        field_to_json(entry, *f.message_type()->map_value(), -1);
  }
  return object;
}

}  // namespace

Result<void> json_to_message(std::string_view text, Message& out) {
  out.Clear();
  if (!valid_utf8(text)) return fail(HttpErrc::bad_request, "invalid UTF-8");
  json root;
  StrictParser parser(root);
  if (!json::sax_parse(text.data(), text.data() + text.size(), &parser))
    return tl::unexpected(parser.refusal.value_or(Error(HttpErrc::bad_request, "malformed JSON")));
  return json_to_message(root, out);
}

Result<void> json_to_message(const json& value, Message& out) {
  out.Clear();
  if (!value.is_object()) return fail(HttpErrc::bad_request, "expected a JSON object");
  auto done = decode_object(value, out, "");
  if (!done) out.Clear();  // nothing half-decoded reaches a caller
  return done;
}

json message_to_json_value(const Message& m) {
  json object = json::object();
  const Reflection& r = *m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r.ListFields(m, &fields);  // the set ones: implicit-presence defaults are left out
  for (const FieldDescriptor* f : fields) {
    if (f->is_extension()) continue;
    if (f->is_map()) {
      object[f->name()] = map_to_json(m, *f);
    } else if (f->is_repeated()) {
      json list = json::array();
      for (int i = 0; i < r.FieldSize(m, f); ++i) list.push_back(field_to_json(m, *f, i));
      object[f->name()] = std::move(list);
    } else {
      object[f->name()] = field_to_json(m, *f, -1);
    }
  }
  return object;
}

std::string message_to_json(const Message& m) { return shown(message_to_json_value(m)); }

}  // namespace kda::api
