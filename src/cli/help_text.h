#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rotator::cli {

/// The width help is wrapped at.
inline constexpr std::size_t help_width = 80;

/// `text` with every line longer than `width` broken at spaces; a continuation
/// of an indented line keeps its indentation plus `hanging` columns, one of a
/// line at the margin (prose) starts at the margin.
std::string wrap(std::string_view text, std::size_t width = help_width, std::size_t hanging = 2);

/// `synopsis` with the spaces inside each [...] group bound, so that wrap() breaks
/// a usage line between options and never inside one ("[-o table|json]" whole).
/// A group longer than the line is still left whole, as a long word is.
std::string bind_option_groups(std::string_view synopsis);

/// `text` with the spaces bind_option_groups() bound made plain again.
std::string unbind_option_groups(std::string_view text);

/// `text` with the lines of each paragraph at the margin joined into one line,
/// for wrap() to break at the help width. Blank lines (paragraph breaks) and
/// indented lines (lists, examples) stay as they are.
std::string reflow(std::string_view text);

/// `text` with "rotator " at the start of a line (after its indentation) and in
/// "'rotator ..." references read as `program ` ("kubectl rotator" for the plugin).
std::string name_program(std::string_view text, const std::string& program);

/// How the binary was invoked: "kubectl rotator" when run as the kubectl plugin
/// (argv[0] ends in kubectl-rotator), else "rotator".
std::string program_name(const char* argv0);

}  // namespace rotator::cli
