#include "commands/influxctl_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <toml++/toml.h>

#include "util/errors.h"
#include "util/private_file.h"

namespace rotator::commands {
namespace {

/// A `[a.b]` or `[[a]]` line, with its dotted key split.
struct Header {
  bool array = false;
  std::vector<std::string> path;
};

struct Line {
  std::string text;  ///< without the line ending
  std::string ending;
};

std::string_view trim_left(std::string_view s) {
  const auto start = s.find_first_not_of(" \t");
  return start == std::string_view::npos ? std::string_view() : s.substr(start);
}

std::string_view trim(std::string_view s) {
  s = trim_left(s);
  const auto end = s.find_last_not_of(" \t");
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

std::string indentation(std::string_view line) {
  return std::string(line.substr(0, line.size() - trim_left(line).size()));
}

bool is_bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/// Reads a dotted key at the start of `s` (bare or quoted parts); returns the parts
/// and leaves `s` after the key. nullopt when `s` does not start with a key.
std::optional<std::vector<std::string>> read_dotted_key(std::string_view& s) {
  std::vector<std::string> parts;
  while (true) {
    s = trim_left(s);
    if (s.empty()) return std::nullopt;
    if (s.front() == '"' || s.front() == '\'') {
      const char quote = s.front();
      std::string part;
      std::size_t i = 1;
      for (; i < s.size() && s[i] != quote; ++i) {
        if (quote == '"' && s[i] == '\\') return std::nullopt;  // escapes: leave to a human
        part += s[i];
      }
      if (i >= s.size()) return std::nullopt;
      parts.push_back(part);
      s.remove_prefix(i + 1);
    } else {
      std::size_t i = 0;
      while (i < s.size() && is_bare_key_char(s[i])) ++i;
      if (i == 0) return std::nullopt;
      parts.emplace_back(s.substr(0, i));
      s.remove_prefix(i);
    }
    s = trim_left(s);
    if (s.empty() || s.front() != '.') return parts;
    s.remove_prefix(1);
  }
}

bool rest_is_comment(std::string_view rest) {
  rest = trim_left(rest);
  return rest.empty() || rest.front() == '#';
}

std::optional<Header> parse_header(std::string_view line) {
  std::string_view s = trim_left(line);
  if (!s.starts_with("[")) return std::nullopt;
  Header header;
  header.array = s.starts_with("[[");
  s.remove_prefix(header.array ? 2 : 1);
  auto path = read_dotted_key(s);
  if (!path) return std::nullopt;
  const std::string_view close = header.array ? "]]" : "]";
  if (!s.starts_with(close)) return std::nullopt;
  s.remove_prefix(close.size());
  if (!rest_is_comment(s)) return std::nullopt;
  header.path = std::move(*path);
  return header;
}

/// The key of a `key = value` line, or nullopt.
std::optional<std::vector<std::string>> key_of(std::string_view line) {
  std::string_view s = line;
  auto key = read_dotted_key(s);
  if (!key || !s.starts_with("=")) return std::nullopt;
  return key;
}

bool is_blank_or_comment(std::string_view line) { return rest_is_comment(line); }

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    std::string ending = nl == std::string_view::npos ? "" : "\n";
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
      ending = "\r" + ending;
    }
    lines.push_back({std::string(line), ending});
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string join_lines(const std::vector<Line>& lines) {
  std::string out;
  for (const auto& l : lines) out += l.text + l.ending;
  return out;
}

std::string toml_string(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

/// Replaces the value of a `key = value` line, keeping indentation and a trailing comment.
std::string replace_value(const std::string& line, const std::string& key_text, const std::string& value) {
  const auto eq = line.find('=');
  std::string_view rest = trim_left(std::string_view(line).substr(eq + 1));
  std::string tail;
  if (rest.starts_with("\"\"\"") || rest.starts_with("'''")) {
    throw InvalidDataError("the existing " + key_text + " is a multi-line string; edit it by hand");
  }
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
    const char quote = rest.front();
    std::size_t i = 1;
    while (i < rest.size() && rest[i] != quote) i += (quote == '"' && rest[i] == '\\') ? 2 : 1;
    if (i < rest.size()) tail = std::string(rest.substr(i + 1));
  } else if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    tail = " " + std::string(rest.substr(hash));
  }
  return indentation(line) + key_text + " = " + toml_string(value) + tail;
}

std::vector<std::string> split_dotted(const std::string& key_path) {
  std::vector<std::string> parts;
  std::string_view s = key_path;
  auto parsed = read_dotted_key(s);
  if (!parsed || !trim(s).empty() || parsed->empty()) {
    throw UsageError("\"" + key_path + "\" is not a TOML key path");
  }
  return *parsed;
}

std::string render_key(const std::string& key) {
  bool bare = !key.empty();
  for (char c : key) bare = bare && is_bare_key_char(c);
  return bare ? key : toml_string(key);
}

std::string render_path(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + render_key(p);
  return out;
}

toml::table parse_toml(std::string_view text, const std::string& what) {
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    throw InvalidDataError(what + " is not valid TOML (" + std::string(e.description()) + " at " + where.str() +
                           "); rotator will not overwrite it");
  }
}

/// The document as it must be after the edit.
toml::table expected_document(toml::table doc, const std::string& profile, const std::vector<std::string>& tables,
                              const std::string& key, const std::string& value) {
  toml::node* profiles_node = doc.get("profile");
  if (profiles_node == nullptr) {
    doc.insert("profile", toml::array{});
    profiles_node = doc.get("profile");
  }
  toml::array* profiles = profiles_node->as_array();
  if (profiles == nullptr) throw InvalidDataError("\"profile\" is not a list of [[profile]] tables");
  toml::table* element = nullptr;
  for (auto& node : *profiles) {
    toml::table* t = node.as_table();
    if (t == nullptr) throw InvalidDataError("\"profile\" is not a list of [[profile]] tables");
    if (t->get("name") && t->get("name")->value<std::string>() == profile) {
      if (element != nullptr) throw InvalidDataError("there are two profiles named \"" + profile + "\"");
      element = t;
    }
  }
  if (element == nullptr) {
    profiles->push_back(toml::table{{"name", profile}});
    element = profiles->back().as_table();
  }
  for (const auto& name : tables) {
    auto [it, inserted] = element->emplace<toml::table>(name);
    element = it->second.as_table();
    if (element == nullptr) {
      throw InvalidDataError("profile \"" + profile + "\" has a \"" + name + "\" that is not a table");
    }
  }
  element->insert_or_assign(key, value);
  return doc;
}

std::size_t last_content_line(const std::vector<Line>& lines, std::size_t begin, std::size_t end) {
  std::size_t last = begin;
  for (std::size_t i = begin; i < end; ++i) {
    if (!is_blank_or_comment(lines[i].text)) last = i;
  }
  return last;
}

}  // namespace

std::string edit_influxctl_profile(std::string_view text, const std::string& profile, const std::string& key_path,
                                   const std::string& value) {
  if (profile.empty()) throw UsageError("--profile must not be empty");
  std::vector<std::string> tables = split_dotted(key_path);
  const std::string key = tables.back();
  tables.pop_back();
  const toml::table before = parse_toml(text, "the influxctl config");
  const toml::table expected = expected_document(before, profile, tables, key, value);

  std::vector<Line> lines = split_lines(text);
  const std::string eol = !lines.empty() && lines.front().ending == "\r\n" ? "\r\n" : "\n";
  std::vector<std::optional<Header>> headers;
  for (const auto& l : lines) headers.push_back(parse_header(l.text));

  // The [[profile]] elements, in order; find the one whose text holds our name.
  std::vector<std::size_t> element_starts;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (headers[i] && headers[i]->array && headers[i]->path == std::vector<std::string>{"profile"}) {
      element_starts.push_back(i);
    }
  }
  const toml::array* profiles = before.get_as<toml::array>("profile");
  std::optional<std::size_t> index;
  if (profiles != nullptr) {
    for (std::size_t i = 0; i < profiles->size(); ++i) {
      const toml::table* t = (*profiles)[i].as_table();
      if (t && t->get("name") && t->get("name")->value<std::string>() == profile) index = i;
    }
    if (element_starts.size() != profiles->size()) {
      throw InvalidDataError("the influxctl config writes its profiles in a form rotator cannot edit safely "
                             "(not one [[profile]] header per profile); edit it by hand");
    }
  }

  const std::string key_text = render_key(key);
  std::vector<std::string> full_path = {"profile"};
  full_path.insert(full_path.end(), tables.begin(), tables.end());

  if (!index) {
    // A new profile at the end of the file.
    if (!lines.empty() && lines.back().ending.empty()) lines.back().ending = eol;
    if (!lines.empty()) lines.push_back({"", eol});
    lines.push_back({"[[profile]]", eol});
    lines.push_back({"  name = " + toml_string(profile), eol});
    if (tables.empty()) {
      lines.push_back({"  " + key_text + " = " + toml_string(value), eol});
    } else {
      lines.push_back({"  [" + render_path(full_path) + "]", eol});
      lines.push_back({"    " + key_text + " = " + toml_string(value), eol});
    }
  } else {
    const std::size_t start = element_starts[*index];
    std::size_t end = start + 1;
    while (end < lines.size() &&
           !(headers[end] && (headers[end]->path.empty() || headers[end]->path.front() != "profile" ||
                              (headers[end]->array && headers[end]->path.size() == 1)))) {
      ++end;
    }
    // The section holding the key: the element's own body or its sub-table.
    std::optional<std::size_t> section;
    if (tables.empty()) {
      section = start;
    } else {
      for (std::size_t i = start + 1; i < end; ++i) {
        if (headers[i] && !headers[i]->array && headers[i]->path == full_path) section = i;
      }
    }
    if (section) {
      std::size_t section_end = *section + 1;
      while (section_end < end && !headers[section_end]) ++section_end;
      std::optional<std::size_t> key_line;
      std::string key_indent;
      for (std::size_t i = *section + 1; i < section_end; ++i) {
        const auto k = key_of(lines[i].text);
        if (!k) continue;
        if (key_indent.empty()) key_indent = indentation(lines[i].text);
        if (*k == std::vector<std::string>{key}) key_line = i;
      }
      if (key_line) {
        lines[*key_line].text = replace_value(lines[*key_line].text, key_text, value);
      } else {
        if (key_indent.empty()) key_indent = indentation(lines[*section].text) + "  ";
        const std::size_t after = last_content_line(lines, *section, section_end);
        if (lines[after].ending.empty()) lines[after].ending = eol;
        lines.insert(lines.begin() + std::ptrdiff_t(after) + 1, Line{key_indent + key_text + " = " + toml_string(value), eol});
      }
    } else {
      std::string header_indent = indentation(lines[start].text) + "  ";
      for (std::size_t i = start + 1; i < end; ++i) {
        if (headers[i]) {
          header_indent = indentation(lines[i].text);
          break;
        }
      }
      const std::size_t after = last_content_line(lines, start, end);
      if (lines[after].ending.empty()) lines[after].ending = eol;
      lines.insert(lines.begin() + std::ptrdiff_t(after) + 1,
                   {Line{header_indent + "[" + render_path(full_path) + "]", eol},
                    Line{header_indent + "  " + key_text + " = " + toml_string(value), eol}});
    }
  }

  std::string result = join_lines(lines);
  const toml::table after = parse_toml(result, "the edited influxctl config");
  if (!(after == expected)) {
    throw InvalidDataError("setting " + key_path + " in profile \"" + profile +
                           "\" would change more than that value (the file uses a form rotator cannot edit "
                           "surgically, e.g. an inline table); nothing was written, edit it by hand");
  }
  return result;
}

namespace {

std::string read_existing(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

void check_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                   const std::string& key_path) {
  edit_influxctl_profile(read_existing(path), profile, key_path, "placeholder");
}

void set_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                 const std::string& key_path, const std::string& value) {
  const std::string edited = edit_influxctl_profile(read_existing(path), profile, key_path, value);

  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  }
  // The file holds tokens: its owner, group and owner bits are kept, group and
  // other bits are dropped; a new file is 0600 (util/private_file.h).
  util::FileWriteOptions options;
  options.existing = util::ExistingFile::keep_owner_and_mode;
  options.max_mode = 0600;
  util::write_file_atomically(path, edited, options);
}

}  // namespace rotator::commands
