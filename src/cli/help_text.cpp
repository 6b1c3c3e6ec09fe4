#include "cli/help_text.h"

#include <sstream>

namespace rotator::cli {

std::string wrap(std::string_view text, std::size_t width, std::size_t hanging) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const std::size_t indent = std::min(line.find_first_not_of(' '), line.size());
    // Prose at the margin wraps flush; indented lines (tables, examples) hang.
    const std::string continuation(indent == 0 ? 0 : std::min(indent + hanging, width / 2), ' ');
    std::size_t taken = 0;  // columns already used on the output line (the continuation's indent)
    while (taken + line.size() > width) {
      const std::size_t room = width - taken;
      std::size_t cut = line.rfind(' ', room);
      const std::size_t own_indent = taken == 0 ? indent : 0;
      if (cut == std::string_view::npos || cut <= own_indent) cut = line.find(' ', room);
      if (cut == std::string_view::npos) break;  // one word longer than the line: left whole
      out.append(line.substr(0, cut));
      out += '\n';
      line.remove_prefix(cut + 1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      out += continuation;
      taken = continuation.size();
    }
    out.append(line);
    if (end == std::string_view::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

namespace {
// A control character no help text contains, standing for a bound space.
constexpr char bound_space = '\x1f';
}  // namespace

std::string bind_option_groups(std::string_view synopsis) {
  std::string out(synopsis);
  int depth = 0;
  for (char& c : out) {
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    if (c == ' ' && depth > 0) c = bound_space;
  }
  return out;
}

std::string unbind_option_groups(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == bound_space) c = ' ';
  }
  return out;
}

std::string reflow(std::string_view text) {
  std::string out;
  bool joinable = false;  // the last line written is prose a next prose line continues
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const bool prose = !line.empty() && line.front() != ' ';
    if (start > 0) out += prose && joinable ? ' ' : '\n';
    out.append(line);
    joinable = prose;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::string name_program(std::string_view text, const std::string& program) {
  if (program == "rotator") return std::string(text);
  std::string out;
  std::istringstream in{std::string(text)};
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!first) out += '\n';
    first = false;
    std::size_t at = 0;
    while ((at = line.find("rotator ", at)) != std::string::npos) {
      const bool starts_line = line.find_first_not_of(' ') == at;
      const bool quoted = at > 0 && (line[at - 1] == '\'' || line[at - 1] == '`');
      const bool after_command = at >= 2 && line.compare(at - 2, 2, "$ ") == 0;
      if (starts_line || quoted || after_command) {
        line.replace(at, 8, program + " ");
        at += program.size() + 1;
      } else {
        at += 8;
      }
    }
    out += line;
  }
  if (!text.empty() && text.back() == '\n') out += '\n';
  return out;
}

std::string program_name(const char* argv0) {
  const std::string_view path = argv0 == nullptr ? "" : argv0;
  const auto slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return base == "kubectl-rotator" ? "kubectl rotator" : "rotator";
}

}  // namespace rotator::cli
