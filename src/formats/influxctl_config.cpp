#include "formats/influxctl_config.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>

// toml++'s own debug assertions off in every build, as in a release one
// (NDEBUG): several are reachable from malformed input in the 3.3 Debian ships
// (found by fuzzing), where the release parser goes on to report the error.
// Its TOML_UNREACHABLE points stay, so UBSan still catches those.
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>

#include "formats/toml_text.h"
#include "util/errors.h"
#include "util/terminal_text.h"

namespace rotator::formats {
namespace {

using namespace toml_text;

const std::vector<std::string> profile_path = {"profile"};
const std::vector<std::string> token_table_path = {"profile", "auth", "token"};

std::string quoted(std::string_view text) {
  return "\"" + util::escape_for_terminal(text) + "\"";
}

std::string at_line(std::size_t line) {
  return " (line " + std::to_string(line) + ")";
}

std::size_t line_of(const toml::node& node) {
  return node.source().begin.line;
}

/// The line of the first non-ASCII byte outside strings and comments, if any.
/// TOML allows such text only there; toml++ 3.3 (Debian 12) reaches an
/// "unreachable" point on some of it elsewhere (found by fuzzing): undefined
/// behaviour in a release build, so such a file is refused before it parses.
std::optional<std::size_t> non_ascii_outside_strings(std::string_view text) {
  std::size_t line = 1;
  char before = '\n';  // the last character that was not blank: a string starts only after one of "\n=[,{."
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char previous = before;
    if (c != ' ' && c != '\t') before = c;
    if (c == '\n') {
      ++line;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if ((c == '"' || c == '\'') && std::string_view("\n=[,{.").find(previous) != std::string_view::npos) {
      const bool multi = text.substr(i, 3) == std::string(3, c);
      const std::string close = multi ? std::string(3, c) : std::string(1, c);
      for (i += close.size(); i < text.size(); ++i) {
        if (text[i] == '\n') {
          if (!multi) {  // an unterminated string: the parser reports it
            --i;
            break;
          }
          ++line;
        } else if (c == '"' && text[i] == '\\') {
          ++i;  // an escape: the next byte never closes the string
        } else if (text.substr(i, close.size()) == close) {
          // A multi-line string may end in up to two more quotes ("""a"""").
          while (multi && i + 3 < text.size() && text[i + 3] == c) ++i;
          i += close.size() - 1;
          break;
        }
      }
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      return line;
    }
  }
  return std::nullopt;
}

/// Parses TOML or throws InvalidDataError naming where and why.
toml::table parse_toml(std::string_view text, const std::string& what) {
  // TOML allows no raw control character but tab and line breaks, anywhere
  // (strings must escape them). Refused before the parser sees them: toml++
  // asserts on some (a DEL opening a table header, found by fuzzing).
  for (std::size_t i = 0, line = 1; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') ++line;
    if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", byte);
      throw InvalidDataError(what + " is not valid TOML (a raw control character " + code + at_line(line) +
                             "); rotator will not change it");
    }
  }
  if (const auto line = non_ascii_outside_strings(text)) {
    throw InvalidDataError(what + " holds non-ASCII text outside a string or comment" + at_line(*line) +
                           " (not valid TOML); rotator will not change it");
  }
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    throw InvalidDataError(what + " is not valid TOML (" + std::string(e.description()) + ", " + where.str() +
                           "); rotator will not change it");
  }
}

/// What the editor knows about the text around the profile it edits.
class ConfigText {
 public:
  ConfigText(std::string_view text, const toml::table& doc) : text_(text), lines_(text) { collect_headers(doc); }

  const LineIndex& lines() const { return lines_; }

  /// The header on `line`, when `line` is one of the document's header lines.
  std::optional<Header> header_at(std::size_t line) const {
    if (!headers_.contains(line)) return std::nullopt;
    return parse_header(lines_.line(line));
  }
  bool is_header_line(std::size_t line) const { return headers_.contains(line); }

  /// The first header line after `line`, or one past the last line.
  std::size_t next_header_after(std::size_t line) const {
    const auto it = headers_.upper_bound(line);
    return it == headers_.end() ? lines_.line_count() + 1 : *it;
  }

  /// Where the [[profile]] starting at `header` ends: the next [[profile]], or
  /// the next header outside profile.* (one past the last line if none).
  std::size_t profile_end(std::size_t header) const {
    for (auto it = headers_.upper_bound(header); it != headers_.end(); ++it) {
      const auto h = parse_header(lines_.line(*it));
      if (!h || h->path.empty() || h->path.front() != "profile" || (h->array && h->path == profile_path)) return *it;
    }
    return lines_.line_count() + 1;
  }

  /// The last line in [begin, end) holding more than blanks or a comment.
  std::size_t last_content_line(std::size_t begin, std::size_t end) const {
    std::size_t last = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (!is_blank_or_comment(lines_.line(i))) last = i;
    }
    return last;
  }

  /// Indentation of the first `key = value` line in [begin, end), or `fallback`.
  std::string key_indentation(std::size_t begin, std::size_t end, const std::string& fallback) const {
    for (std::size_t i = begin; i < end; ++i) {
      if (key_of(lines_.line(i))) return indentation(lines_.line(i));
    }
    return fallback;
  }

  /// An edit inserting `lines` (without line endings) after line `after` (0: at the start).
  Edit insert_after(std::size_t after, const std::vector<std::string>& new_lines) const {
    const std::size_t at = after == 0 ? 0 : lines_.line_end_with_newline(after);
    std::string block;
    if (after == lines_.line_count() && lines_.ends_without_newline()) block += lines_.newline();
    for (const auto& l : new_lines) block += l + std::string(lines_.newline());
    return {at, at, block};
  }

  /// An edit deleting lines first..last, inclusive.
  Edit delete_lines(std::size_t first, std::size_t last) const {
    return {lines_.line_start(first), lines_.line_end_with_newline(last), ""};
  }

  /// An edit replacing the text of `node` (a value) with `replacement`.
  Edit replace(const toml::node& node, std::string replacement) const {
    return {lines_.offset(node.source().begin), lines_.offset(node.source().end), std::move(replacement)};
  }

  /// The text of `node` exactly as written.
  std::string_view text_of(const toml::node& node) const {
    const std::size_t begin = lines_.offset(node.source().begin);
    return text_.substr(begin, lines_.offset(node.source().end) - begin);
  }

 private:
  // A header defines (or reopens) exactly one table, whose source is the header;
  // taking header lines from the parsed tree, not from a scan of the text, means
  // a "[x]" inside a multi-line string is never mistaken for one.
  void collect_headers(const toml::table& table) {
    for (auto&& [key, node] : table) {
      if (const auto* t = node.as_table()) {
        note_header(*t);
        collect_headers(*t);
      } else if (const auto* a = node.as_array()) {
        for (const auto& element : *a) {
          if (const auto* element_table = element.as_table()) {
            note_header(*element_table);
            collect_headers(*element_table);
          }
        }
      }
    }
  }
  void note_header(const toml::table& t) {
    const std::size_t line = line_of(t);
    if (t.is_inline() || line == 0 || line > lines_.line_count()) return;
    const std::string_view text = lines_.line(line);
    const auto first = text.find_first_not_of(" \t");
    if (first != std::string_view::npos && text[first] == '[') headers_.insert(line);
  }

  std::string_view text_;
  LineIndex lines_;
  std::set<std::size_t> headers_;
};

/// The profile being edited and where it sits.
struct Profile {
  std::size_t index = 0;
  const toml::table* table = nullptr;
  std::size_t header = 0;    ///< line of its [[profile]]
  std::size_t body_end = 0;  ///< first header line after `header`
  std::size_t end = 0;       ///< first line after the profile's sub-tables
};

class Editor {
 public:
  Editor(const InfluxctlConfigRequest& request, const ConfigText& text) : request_(request), text_(text) {}

  [[noreturn]] void refuse(const std::string& why) const {
    throw InvalidDataError(request_.source_name + ": " + why + "; nothing was changed");
  }

  std::string new_value() const { return basic_string(request_.value); }

  void edit(const Profile& profile) {
    const toml::table& e = *profile.table;
    const toml::node* own = e.get("mgmt_token");
    const toml::node* misplaced = misplaced_mgmt_token(e);
    const std::string name = quoted(request_.profile);
    if (request_.setting == InfluxctlSetting::mgmt_token) {
      if (own) {
        edits_.push_back(text_.replace(*own, new_value()));
      } else {
        insert_in_body(profile, "mgmt_token = " + new_value());
      }
      if (misplaced) {
        remove_misplaced(profile, *misplaced, /*section_may_empty=*/true);
        notes_.push_back("removed the mgmt_token under [profile.auth.token] of profile " + name +
                         at_line(line_of(*misplaced)) +
                         ": influxctl does not read it there; the new one is set directly under [[profile]]");
      }
      return;
    }
    if (misplaced) {
      if (own) {
        notes_.push_back("removed the mgmt_token under [profile.auth.token] of profile " + name +
                         at_line(line_of(*misplaced)) +
                         ": influxctl does not read it there, and the profile has its own mgmt_token");
      } else {
        insert_in_body(profile, "mgmt_token = " + std::string(text_.text_of(*misplaced)));
        notes_.push_back("moved mgmt_token of profile " + name + " from [profile.auth.token]" +
                         at_line(line_of(*misplaced)) + " to the profile itself, where influxctl reads it");
      }
      remove_misplaced(profile, *misplaced, /*section_may_empty=*/false);
    }
    set_token_file(profile);
  }

  std::vector<Edit> edits_;
  std::vector<std::string> notes_;

 private:
  static const toml::node* misplaced_mgmt_token(const toml::table& e) {
    const auto* auth = e.get_as<toml::table>("auth");
    const auto* token = auth ? auth->get_as<toml::table>("token") : nullptr;
    return token ? token->get("mgmt_token") : nullptr;
  }

  /// Adds `line` after the profile's last own key (before its first sub-table).
  void insert_in_body(const Profile& profile, const std::string& line) {
    const std::string header_line(text_.lines().line(profile.header));
    const std::string indent =
        text_.key_indentation(profile.header + 1, profile.body_end, indentation(header_line) + "  ");
    const std::size_t after = text_.last_content_line(profile.header, profile.body_end);
    edits_.push_back(text_.insert_after(after, {indent + line}));
  }

  void refuse_inline(const toml::table& table, const std::string& what) const {
    refuse("profile " + quoted(request_.profile) + " writes " + what + " as an inline table" + at_line(line_of(table)) +
           "; rotator replaces values inside inline tables but does not add or remove keys in them: set " +
           std::string(setting_name(request_.setting)) +
           " there by hand, or write it as a [profile.auth.token] section");
  }

  /// Whether `table` has its own `[profile.auth.token]` header line.
  bool has_own_section(const toml::table& table) const {
    const auto header = text_.header_at(line_of(table));
    return header && !header->array && header->path == token_table_path;
  }

  void remove_misplaced(const Profile& profile, const toml::node& value, bool section_may_empty) {
    const toml::table& auth = *profile.table->get_as<toml::table>("auth");
    const toml::table& token = *auth.get_as<toml::table>("token");
    if (auth.is_inline()) refuse_inline(auth, "auth");
    if (token.is_inline()) refuse_inline(token, "auth.token");
    const std::size_t key_line = line_of(value);
    const std::size_t value_end = value.source().end.line;
    const auto key = key_of(text_.lines().line(key_line));
    const std::string_view after_value = text_.lines().line(value_end).substr(text_.lines().offset(value.source().end) -
                                                                              text_.lines().line_start(value_end));
    if (!key || key->back() != "mgmt_token" || !rest_is_comment(after_value)) {
      refuse("the mgmt_token under [profile.auth.token] of profile " + quoted(request_.profile) + at_line(key_line) +
             " shares its line with other settings, and influxctl refuses it there: move it under [[profile]] by hand");
    }
    edits_.push_back(text_.delete_lines(key_line, value_end));
    // A section rotator emptied goes too: influxctl would see token auth with no token file.
    if (section_may_empty && token.size() == 1 && has_own_section(token)) {
      edits_.push_back(text_.delete_lines(line_of(token), line_of(token)));
    }
  }

  void set_token_file(const Profile& profile) {
    const toml::table& e = *profile.table;
    const toml::node* auth_node = e.get("auth");
    if (auth_node && !auth_node->is_table()) {
      refuse("auth of profile " + quoted(request_.profile) + " is not a table" + at_line(line_of(*auth_node)));
    }
    const toml::table* auth = auth_node ? auth_node->as_table() : nullptr;
    const toml::node* token_node = auth ? auth->get("token") : nullptr;
    if (token_node && !token_node->is_table()) {
      refuse("auth.token of profile " + quoted(request_.profile) + " is not a table" + at_line(line_of(*token_node)));
    }
    const toml::table* token = token_node ? token_node->as_table() : nullptr;
    if (const toml::node* existing = token ? token->get("token_file") : nullptr) {
      edits_.push_back(text_.replace(*existing, new_value()));  // also inside an inline table
      return;
    }
    if (auth && auth->is_inline()) refuse_inline(*auth, "auth");
    if (token && token->is_inline()) refuse_inline(*token, "auth.token");
    // A token table made implicitly by a deeper section ([profile.auth.token.x])
    // can still get its own section; one made by dotted keys cannot.
    if (token && !has_own_section(*token) && !text_.is_header_line(line_of(*token))) {
      refuse("auth.token of profile " + quoted(request_.profile) + " is written with dotted keys" +
             at_line(line_of(*token)) +
             "; rotator adds token_file only to a [profile.auth.token] section: "
             "set it there by hand");
    }
    if (token && has_own_section(*token)) {
      const std::size_t header = line_of(*token);
      const std::size_t section_end = text_.next_header_after(header);
      const std::string header_line(text_.lines().line(header));
      const std::string indent = text_.key_indentation(header + 1, section_end, indentation(header_line) + "  ");
      edits_.push_back(
          text_.insert_after(text_.last_content_line(header, section_end), {indent + "token_file = " + new_value()}));
      return;
    }
    // A new section at the end of the profile, indented as its other sections.
    std::string indent = indentation(text_.lines().line(profile.header)) + "  ";
    if (profile.body_end < profile.end) indent = indentation(text_.lines().line(profile.body_end));
    edits_.push_back(text_.insert_after(text_.last_content_line(profile.header, profile.end),
                                        {indent + "[profile.auth.token]", indent + "  token_file = " + new_value()}));
  }

  const InfluxctlConfigRequest& request_;
  const ConfigText& text_;
};

/// The profiles of `doc`, checked to be [[profile]] sections rotator can edit.
const toml::array* profiles_of(const toml::table& doc, const Editor& editor) {
  const toml::node* node = doc.get("profile");
  if (node == nullptr) return nullptr;
  const toml::array* profiles = node->as_array();
  if (profiles == nullptr || !profiles->is_array_of_tables()) {
    editor.refuse("\"profile\"" + at_line(line_of(*node)) + " is not a list of [[profile]] sections");
  }
  for (const auto& element : *profiles) {
    if (element.as_table()->is_inline()) {
      editor.refuse("the profiles are written as an inline array (profile = [ {...} ])" + at_line(line_of(*node)) +
                    "; rotator edits [[profile]] sections only: rewrite them as [[profile]] sections");
    }
  }
  return profiles;
}

std::optional<Profile> find_profile(const toml::array* profiles, const ConfigText& text,
                                    const InfluxctlConfigRequest& request, const Editor& editor) {
  if (profiles == nullptr) return std::nullopt;
  std::optional<Profile> found;
  for (std::size_t i = 0; i < profiles->size(); ++i) {
    const toml::table& t = *(*profiles)[i].as_table();
    if (t["name"].value<std::string>() != request.profile) continue;
    if (found) {
      editor.refuse("two [[profile]] sections are named " + quoted(request.profile) + " (lines " +
                    std::to_string(found->header) + " and " + std::to_string(line_of(t)) + "); keep one");
    }
    Profile p;
    p.index = i;
    p.table = &t;
    p.header = line_of(t);
    const auto header = text.header_at(p.header);
    if (!header || !header->array || header->path != profile_path) {
      editor.refuse("profile " + quoted(request.profile) + " does not start with a plain [[profile]] line" +
                    at_line(p.header));
    }
    p.body_end = text.next_header_after(p.header);
    p.end = text.profile_end(p.header);
    found = p;
  }
  return found;
}

void check_new_profile_address(const InfluxctlConfigRequest& request) {
  std::vector<std::string> missing;
  if (!request.host) missing.push_back(std::string(influxctl_host_flag) + " HOST");
  if (!request.port) missing.push_back(std::string(influxctl_port_flag) + " PORT");
  if (!missing.empty()) {
    std::string flags = missing.front();
    if (missing.size() == 2) flags += " and " + missing.back();
    throw UsageError("profile " + quoted(request.profile) + " is not in " + request.source_name +
                     "; to add it, rotator needs the cluster's address: pass " + flags);
  }
  const std::string& host = *request.host;
  if (host.empty() || std::any_of(host.begin(), host.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    throw UsageError(std::string(influxctl_host_flag) + " must be a host name such as influxdb.example.com, not " +
                     quoted(host));
  }
  const std::string& port = *request.port;
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    throw UsageError(std::string(influxctl_port_flag) + " must be a port number from 1 to 65535, not " + quoted(port));
  }
}

std::vector<std::string> new_profile_lines(const InfluxctlConfigRequest& request) {
  std::vector<std::string> lines = {"[[profile]]", "  name = " + basic_string(request.profile),
                                    "  product = \"clustered\"", "  host = " + basic_string(*request.host),
                                    "  port = " + basic_string(*request.port)};
  if (request.setting == InfluxctlSetting::mgmt_token) {
    lines.push_back("  mgmt_token = " + basic_string(request.value));
  } else {
    lines.push_back("  [profile.auth.token]");
    lines.push_back("    token_file = " + basic_string(request.value));
  }
  return lines;
}

/// The document without what the edit may change in the profile at `index`:
/// both places of mgmt_token, token_file when that is the setting, and the
/// auth.token and auth tables when that leaves them empty.
toml::table without_edited_settings(toml::table doc, std::size_t index, InfluxctlSetting setting) {
  auto* profiles = doc.get_as<toml::array>("profile");
  if (profiles == nullptr || index >= profiles->size()) return doc;
  toml::table& e = *(*profiles)[index].as_table();
  e.erase("mgmt_token");
  if (auto* auth = e.get_as<toml::table>("auth")) {
    if (auto* token = auth->get_as<toml::table>("token")) {
      token->erase("mgmt_token");
      if (setting == InfluxctlSetting::token_file) token->erase("token_file");
      if (token->empty()) auth->erase("token");
    }
    if (auth->empty()) e.erase("auth");
  }
  return doc;
}

/// What the profile at `index` must hold after the edit, checked on the re-parsed result.
void check_result(const toml::table& before, const toml::table& after, std::optional<std::size_t> index,
                  const InfluxctlConfigRequest& request, const Editor& editor) {
  const auto* after_profiles = after.get_as<toml::array>("profile");
  const std::size_t edited = index ? *index : (after_profiles ? after_profiles->size() - 1 : 0);
  bool same_elsewhere = false;
  if (index) {
    same_elsewhere = without_edited_settings(before, edited, request.setting) ==
                     without_edited_settings(after, edited, request.setting);
  } else if (after_profiles != nullptr && !after_profiles->empty()) {
    toml::table trimmed = after;
    auto& list = *trimmed.get_as<toml::array>("profile");
    list.erase(list.end() - 1);
    if (list.empty()) trimmed.erase("profile");
    same_elsewhere = trimmed == before;
  }
  const toml::node_view<const toml::node> e = after["profile"][edited];
  bool right_value = false;
  bool nothing_misplaced = !e["auth"]["token"]["mgmt_token"];
  if (request.setting == InfluxctlSetting::mgmt_token) {
    right_value = e["mgmt_token"].value<std::string>() == request.value;
  } else {
    right_value = e["auth"]["token"]["token_file"].value<std::string>() == request.value;
    // mgmt_token: the profile's own, else the one moved out of [profile.auth.token].
    const toml::node_view<const toml::node> old =
        index ? before["profile"][*index] : toml::node_view<const toml::node>();
    const auto expected = old["mgmt_token"] ? old["mgmt_token"] : old["auth"]["token"]["mgmt_token"];
    right_value = right_value && (expected ? e["mgmt_token"] == expected : !e["mgmt_token"]);
  }
  if (!index) {
    toml::table expected{
        {"name", request.profile}, {"product", "clustered"}, {"host", *request.host}, {"port", *request.port}};
    if (request.setting == InfluxctlSetting::mgmt_token) {
      expected.insert("mgmt_token", request.value);
    } else {
      expected.insert("auth", toml::table{{"token", toml::table{{"token_file", request.value}}}});
    }
    right_value = right_value && e.as_table() != nullptr && *e.as_table() == expected;
  }
  if (!same_elsewhere || !right_value || !nothing_misplaced) {
    editor.refuse("setting " + std::string(setting_name(request.setting)) + " in profile " + quoted(request.profile) +
                  " would change more than that (the file uses a form rotator cannot edit byte for byte); "
                  "set it by hand");
  }
}

}  // namespace

std::string_view setting_name(InfluxctlSetting setting) {
  return setting == InfluxctlSetting::mgmt_token ? "mgmt_token" : "auth.token.token_file";
}

InfluxctlConfigEdit edit_influxctl_config(std::optional<std::string_view> existing,
                                          const InfluxctlConfigRequest& request) {
  if (request.profile.empty()) throw UsageError("the influxctl profile name must not be empty");
  const std::string_view text = existing.value_or(std::string_view());
  const toml::table before = parse_toml(text, request.source_name);
  const ConfigText layout(text, before);
  Editor editor(request, layout);
  const toml::array* profiles = profiles_of(before, editor);
  const std::optional<Profile> profile = find_profile(profiles, layout, request, editor);

  InfluxctlConfigEdit result;
  if (profile) {
    editor.edit(*profile);
  } else {
    check_new_profile_address(request);
    std::vector<std::string> lines;
    if (layout.lines().line_count() > 0) lines.emplace_back();  // a blank line before the new section
    const auto block = new_profile_lines(request);
    lines.insert(lines.end(), block.begin(), block.end());
    editor.edits_.push_back(layout.insert_after(layout.lines().line_count(), lines));
    result.created_profile = true;
  }
  result.text = apply(text, editor.edits_);
  result.notes = editor.notes_;

  toml::table after;
  try {
    after = toml::parse(result.text);
  } catch (const toml::parse_error& e) {
    editor.refuse("setting " + std::string(setting_name(request.setting)) + " in profile " + quoted(request.profile) +
                  " would make the file invalid TOML (" + std::string(e.description()) +
                  "; the file mixes dotted keys and sections for auth?): set it by hand");
  }
  check_result(before, after, profile ? std::optional(profile->index) : std::nullopt, request, editor);
  return result;
}

}  // namespace rotator::formats
