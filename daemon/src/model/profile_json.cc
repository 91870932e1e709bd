// Reading a profile file: strict JSON against the EnrollmentProfile schema,
// then protobuf's JSON mapping, then the KME rules (profile_catalog.cc).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "kda/daemon/profile_catalog.h"
#include "profile_text.h"

namespace kda::daemon {
namespace {

using v1::EnrollmentProfile;

// Fields whose values an error message must never show.
constexpr std::string_view kSecretFields[] = {"enrollment_token", "wifi.password", "wifi.user_certificate"};

// ---- strict JSON pass (nlohmann SAX) ----------------------------------------
// protobuf's parser accepts single quotes, duplicate keys and "true" for a
// bool, stops at the first error, and its messages quote the input, which
// may hold a secret. This pass walks the schema itself, reports every
// unknown, repeated or mistyped field, and never shows a value.
class StrictJsonCheck {
 public:
  std::vector<ProfileError> errors;
  bool mistyped = false;  // a value of the wrong kind: the KME rules would only repeat it

  explicit StrictJsonCheck(std::string_view source) : source_(source) {}

  bool null() { return value(Kind::null); }
  bool boolean(bool) { return value(Kind::boolean); }
  bool number_integer(nlohmann::json::number_integer_t n) {
    return value(n < 0 ? Kind::other : Kind::uint32);
  }
  bool number_unsigned(nlohmann::json::number_unsigned_t n) {
    return value(n <= 0xFFFFFFFFu ? Kind::uint32 : Kind::other);
  }
  bool number_float(nlohmann::json::number_float_t, const std::string&) { return value(Kind::other); }
  bool string(std::string& s) { return value(Kind::string, &s); }
  bool binary(nlohmann::json::binary_t&) { return value(Kind::other); }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return stack_.pop_back(), true; }
  bool end_array() { return stack_.pop_back(), true; }
  bool key(std::string& k) {
    auto& top = stack_.back();
    top.key = k;
    top.field = top.message ? find_field(*top.message, k) : nullptr;
    if (top.message && !top.field) add(path(), "unknown field");
    // "companyName" and "company_name" are the same field.
    if (!top.keys.insert(top.field ? top.field->name() : k).second) add(path(), "appears twice");
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    // "[json.exception.parse_error.101] parse error at line 1, column 9: syntax
    // error ...; last read: '<input>'": keep the position and the reason only.
    std::string_view what = ex.what();
    std::string message = what.find("number overflow") != std::string_view::npos
                              ? "a number is out of range" : "malformed JSON";
    if (const auto at = what.find("parse error at "); at != std::string_view::npos) {
      what.remove_prefix(at + std::string_view("parse error at ").size());
      message = std::string(what.substr(0, what.find("; last read")));
    }
    add("", std::move(message));
    return false;
  }

 private:
  using Descriptor = google::protobuf::Descriptor;
  using FieldDescriptor = google::protobuf::FieldDescriptor;
  enum class Kind { null, boolean, uint32, string, object, array, other };

  struct Level {
    bool object = false;
    const Descriptor* message = nullptr;  // of this object; null when unchecked
    // Object: the field of the current key. Array: the repeated field whose
    // elements these are. Null when unknown or misplaced.
    const FieldDescriptor* field = nullptr;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };

  // protobuf's JSON mapping accepts the proto name and the JSON (camelCase) name.
  static const FieldDescriptor* find_field(const Descriptor& message, const std::string& key) {
    for (int i = 0; i < message.field_count(); ++i) {
      const auto* f = message.field(i);
      if (f->name() == key || f->json_name() == key) return f;
    }
    return nullptr;
  }

  // Checks one JSON value against the field it fills; adds an error and
  // returns false on a mismatch. null means "default" in the JSON mapping.
  bool fits(Kind kind, const std::string* text = nullptr) {
    auto& top = stack_.back();
    const FieldDescriptor* f = top.field;
    if (!f || kind == Kind::null) return f != nullptr;
    const bool element = !top.object;
    using F = FieldDescriptor;
    bool ok = false;
    std::string expected;
    if (f->is_repeated() && !element) {
      ok = kind == Kind::array, expected = "must be a JSON array";
    } else if (f->cpp_type() == F::CPPTYPE_STRING) {
      ok = kind == Kind::string, expected = "must be a string";
    } else if (f->cpp_type() == F::CPPTYPE_BOOL) {
      ok = kind == Kind::boolean, expected = "must be true or false";
    } else if (f->cpp_type() == F::CPPTYPE_UINT32) {
      ok = kind == Kind::uint32, expected = "must be a whole number from 0 to 4294967295";
      if (f->name() == "token_validity_days")
        expected = "must be a whole number: 0 (never expires) or 7 to 999 days";
    } else if (f->cpp_type() == F::CPPTYPE_ENUM) {
      const auto* v = text ? f->enum_type()->FindValueByName(*text) : nullptr;
      ok = v && v->number() != 0, expected = "must be one of " + enum_value_names(*f->enum_type());
    } else if (f->cpp_type() == F::CPPTYPE_MESSAGE) {
      ok = kind == Kind::object, expected = "must be a JSON object";
    }
    if (!ok) add(path(), expected), mistyped = true;
    return ok;
  }

  void add(std::string field, std::string message) {
    errors.push_back({std::string(source_), std::move(field), std::move(message)});
  }
  bool open(bool object) {
    const Descriptor* message = nullptr;
    const FieldDescriptor* field = nullptr;
    if (stack_.empty()) {
      if (!object) return root_not_object();
      message = EnrollmentProfile::descriptor();
    } else if (value(object ? Kind::object : Kind::array)) {
      // value() said the shape fits: descend into the field's type.
      field = stack_.back().field;
      message = object ? field->message_type() : nullptr;
    }
    if (stack_.size() >= kMaxProfileJsonDepth) {
      add(path(), "nested deeper than " + std::to_string(kMaxProfileJsonDepth) + " levels");
      return false;
    }
    stack_.push_back({object, message, object ? nullptr : field});
    return true;
  }
  // Counts array elements and checks the value's kind; false when it did not
  // fit (parsing goes on: more errors may follow).
  bool value(Kind kind, const std::string* text = nullptr) {
    if (stack_.empty()) return root_not_object();
    if (!stack_.back().object) ++stack_.back().index;
    const bool ok = fits(kind, text);
    return kind == Kind::object || kind == Kind::array ? ok : true;
  }
  bool root_not_object() {
    add("", "a profile must be a JSON object");
    return false;
  }
  // Path of the value being read, in the style of protobuf's messages.
  std::string path() const {
    std::string out;
    for (const auto& level : stack_) {
      if (level.object) {
        out += (out.empty() ? "" : ".") + level.key;
      } else {  // index counts the elements begun; the current one is the last
        out += '[' + std::to_string(level.index == 0 ? 0 : level.index - 1) + ']';
      }
    }
    return out;
  }

  std::string_view source_;
  std::vector<Level> stack_;
};

// What the strict pass let through and protobuf still refused; first line
// only, as later lines quote the input.
ProfileError from_protobuf(std::string_view source, std::string_view text) {
  text = text.substr(0, text.find('\n'));
  ProfileError e{std::string(source), "", std::string(text)};
  if (text.starts_with('(') && text.find("): ") != std::string_view::npos) {
    const auto close = text.find("): ");
    e.field = std::string(text.substr(1, close - 1));
    e.message = std::string(text.substr(close + 3));
    if (std::find(std::begin(kSecretFields), std::end(kSecretFields), e.field) !=
        std::end(kSecretFields))
      e.message = "has an invalid value";
  }
  return e;
}

}  // namespace

ProfileResult parse_profile_json(std::string_view json, std::string_view source) {
  if (json.size() > kMaxProfileFileBytes)  // a guard for the parser; the package decides
    return tl::unexpected(std::vector<ProfileError>{
        {std::string(source), "",
         "is " + grouped(json.size()) + " bytes, larger than the " +
             std::to_string(kMaxProfileFileBytes / (1024 * 1024)) + " MiB any profile file may be"}});
  if (json.starts_with("\xEF\xBB\xBF")) json.remove_prefix(3);  // editors on Windows add one
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return tl::unexpected(std::vector<ProfileError>{{std::string(source), "", "is empty"}});
  StrictJsonCheck strict(source);
  if (!nlohmann::json::sax_parse(json.begin(), json.end(), &strict) || strict.mistyped)
    return tl::unexpected(std::move(strict.errors));  // not JSON, or not a profile's shape

  EnrollmentProfile profile;
  google::protobuf::util::JsonParseOptions options;
  // Unknown fields are caught; once the strict pass has reported them, read
  // past them so the KME rules can report the rest in the same run.
  options.ignore_unknown_fields = !strict.errors.empty();
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &profile, options);
  auto errors = std::move(strict.errors);
  if (!status.ok()) {
    if (errors.empty())
      errors.push_back(from_protobuf(source, {status.message().data(), status.message().size()}));
    return tl::unexpected(std::move(errors));
  }
  auto rules = check_profile(profile, source);
  errors.insert(errors.end(), rules.begin(), rules.end());
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return profile;
}

}  // namespace kda::daemon
