#include "pg_placeholders.h"

#include "kda/daemon/errors.h"

namespace kda::daemon {
namespace {

// PostgreSQL's lexer (scan.l): identifiers start with a letter, _ or any
// byte of a multibyte character, and go on with those, digits and $.
bool ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool ident_cont(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// Past the quote closing the one at `i` (a doubled quote is one inside);
// backslashes escape too in E'...'. An unclosed one runs to the end, for
// the server to refuse.
std::size_t past_quoted(std::string_view s, std::size_t i, bool backslashes) {
  const char quote = s[i];
  for (++i; i < s.size(); ++i) {
    if (backslashes && s[i] == '\\') {
      ++i;
    } else if (s[i] == quote) {
      if (i + 1 < s.size() && s[i + 1] == quote) {
        ++i;
        continue;
      }
      return i + 1;
    }
  }
  return s.size();
}

// Past the end of the /* comment at `i`; PostgreSQL's comments nest.
std::size_t past_block_comment(std::string_view s, std::size_t i) {
  int depth = 0;
  while (i + 1 < s.size()) {
    if (s[i] == '/' && s[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (s[i] == '*' && s[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return s.size();
}

// The length of the $tag$ (or $$) opening a dollar-quoted string at `i`,
// or 0 when none does ($1 is a parameter: a tag starts with no digit).
std::size_t dollar_tag(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  if (j < s.size() && ident_start(static_cast<unsigned char>(s[j])))
    while (j < s.size() && s[j] != '$' && ident_cont(static_cast<unsigned char>(s[j]))) ++j;
  return j < s.size() && s[j] == '$' ? j + 1 - i : 0;
}

Error misnumbered(std::size_t offset, std::string_view what) {
  return Error(StoreErrc::unavailable, "SQL parameter at offset " + std::to_string(offset) + ": " + std::string(what));
}

}  // namespace

Result<PgSql> pg_placeholders(std::string_view s) {
  PgSql out;
  out.text.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    std::size_t end = i + 1;  // what is copied as it is
    if (ident_start(static_cast<unsigned char>(c))) {
      while (end < s.size() && ident_cont(static_cast<unsigned char>(s[end]))) ++end;
      // E'...' (an identifier of the one letter E touching a quote) escapes with backslashes.
      if (end == i + 1 && (c == 'E' || c == 'e') && next == '\'') end = past_quoted(s, i + 1, true);
    } else if (c == '\'' || c == '"') {
      end = past_quoted(s, i, false);
    } else if (c == '-' && next == '-') {
      end = s.find('\n', i);
      end = end == std::string_view::npos ? s.size() : end + 1;
    } else if (c == '/' && next == '*') {
      end = past_block_comment(s, i);
    } else if (c == '$') {
      if (const std::size_t tag = dollar_tag(s, i); tag > 0) {
        const std::size_t close = s.find(s.substr(i, tag), i + tag);
        end = close == std::string_view::npos ? s.size() : close + tag;
      }
    } else if (c == '?') {
      if (!digit(next)) return tl::unexpected(misnumbered(i, "a bare ? (number them: ?1 ?2 ...)"));
      int n = 0;
      for (end = i + 1; end < s.size() && digit(s[end]); ++end) {
        n = n * 10 + (s[end] - '0');
        if (n > kPgMaxParameters)
          return tl::unexpected(misnumbered(i, "above ?" + std::to_string(kPgMaxParameters) + ", PostgreSQL's limit"));
      }
      if (n == 0) return tl::unexpected(misnumbered(i, "?0 (they are numbered from ?1)"));
      if (n > out.parameters) {
        out.parameters = n;
        out.used.resize(static_cast<std::size_t>(n), false);
      }
      out.used[static_cast<std::size_t>(n - 1)] = true;
      // $ goes on an identifier (a$1 is one name): keep them apart.
      if (!out.text.empty() && ident_cont(static_cast<unsigned char>(out.text.back()))) out.text += ' ';
      out.text += '$';
      out.text += std::to_string(n);
      i = end;
      continue;
    }
    out.text.append(s.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace kda::daemon
