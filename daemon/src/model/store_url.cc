// [store] url: checked by libpq's own parser (PQconninfoParse), so what the
// configuration accepts is what libpq connects with; and kept free of
// passwords, which belong in a password file that only kdad's user reads.
#include <libpq-fe.h>

#include <cctype>
#include <memory>

#include "kda/daemon/config.h"

namespace kda::daemon {
namespace {

bool is_uri(std::string_view url) { return url.starts_with("postgresql://") || url.starts_with("postgres://"); }

// The server's password and the client key's passphrase.
bool secret_keyword(std::string_view keyword) { return keyword == "password" || keyword == "sslpassword"; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A URI's query keyword as libpq reads it (%XX decoded).
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The secret keyword a URI sets ("" when none): user:password@ before the
// host (where libpq looks: up to the first '@' or '/'), or a query
// parameter. Looked for before libpq parses it, since libpq's syntax errors
// quote the whole URI.
std::string uri_secret(std::string_view uri) {
  uri.remove_prefix(uri.find("://") + 3);
  const auto stop = uri.find_first_of("@/");
  if (stop != std::string_view::npos && uri[stop] == '@') {
    const auto colon = uri.substr(0, stop).find(':');
    if (colon != std::string_view::npos && colon + 1 < stop) return "password";
  }
  const auto query = uri.find('?');
  for (auto rest = query == std::string_view::npos ? std::string_view() : uri.substr(query + 1); !rest.empty();) {
    const auto amp = rest.find('&');
    const auto param = rest.substr(0, amp);
    const auto keyword = percent_decoded(param.substr(0, param.find('=')));
    if (secret_keyword(keyword)) return keyword;
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return {};
}

// The same for key=value text, walked the way libpq reads it: a keyword up
// to '=' or a blank, then a value, bare (backslash escapes) or quoted.
// Stops where the syntax breaks: libpq reports that without going further.
std::string keyword_value_secret(std::string_view text) {
  auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  std::size_t i = 0;
  while (i < text.size()) {
    if (blank(text[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != '=' && !blank(text[i])) ++i;
    const std::string keyword(text.substr(start, i - start));
    while (i < text.size() && blank(text[i])) ++i;
    if (secret_keyword(keyword)) return keyword;
    if (i == text.size() || text[i] != '=') return {};
    for (++i; i < text.size() && blank(text[i]);) ++i;
    const bool quoted = i < text.size() && text[i] == '\'';
    for (i += quoted ? 1 : 0; i < text.size(); ++i) {
      if (text[i] == '\\') ++i;
      else if (quoted ? text[i] == '\'' : blank(text[i])) break;
    }
    ++i;
  }
  return {};
}

// libpq's syntax errors quote the text around the fault, which may run into
// a password the scans above did not see (a URI too broken to read): where
// the text could hold one, the quotes are left out.
std::string syntax_error(std::string_view url, bool uri, std::string why) {
  while (!why.empty() && std::isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
  std::string lower(url);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("pass") != std::string::npos || (uri && url.find('@') != std::string_view::npos)) {
    std::string out;
    bool quoted = false;
    for (const char c : why) {
      if (c == '"') out += quoted ? "\"" : "\"...";
      if (c == '"') quoted = !quoted;
      else if (!quoted) out += c;
    }
    why = out + " (quote left out: the url may hold a password)";
  }
  return std::string(uri ? "not a valid PostgreSQL URI: " : "not a valid libpq connection string: ") + why;
}

std::string refuse_secret(const std::string& keyword) {
  if (keyword == "sslpassword")
    return "holds the client key's passphrase (sslpassword); the configuration holds no secrets: give kdad a "
           "client key without one, readable only by kdad's user (sslkey=FILE)";
  return "holds a password; the configuration holds no secrets: put the password in a password file readable "
         "only by kdad's user (passfile=FILE in the url, or ~/.pgpass or PGPASSFILE)";
}

}  // namespace

bool store_names_server(std::string_view location) {
  return is_uri(location) || location.find('=') != std::string_view::npos;
}

std::string check_store_url(std::string_view url) {
  const bool uri = is_uri(url);
  if (!store_names_server(url)) {
    if (url.starts_with('/')) return {};
    return "expected a postgresql:// URI, a libpq key=value connection string or the absolute path of a SQLite file";
  }
  if (auto secret = uri ? uri_secret(url) : keyword_value_secret(url); !secret.empty()) return refuse_secret(secret);
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(
      PQconninfoParse(std::string(url).c_str(), &error), PQconninfoFree);
  if (!options) {
    std::string why = error ? error : "out of memory";
    PQfreemem(error);
    return syntax_error(url, uri, std::move(why));
  }
  // What libpq parsed is the last word, whatever the scan above missed.
  for (const auto* option = options.get(); option->keyword; ++option)
    if (secret_keyword(option->keyword) && option->val && *option->val) return refuse_secret(option->keyword);
  return {};
}

}  // namespace kda::daemon
