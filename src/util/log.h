#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rotator::log {

enum class Format { text, json };
enum class Level { debug, info, warn, error };

/// Routes rotator's and the Kubernetes client's logs to stderr in the chosen format.
/// Text suits a terminal, JSON suits a Job's log collector.
void configure(Format format, Level level);

/// The format configure() chose last.
Format current_format();

/// Structured fields, rendered as key=value (text) or JSON members. Never put key or
/// token material here.
using Fields = std::vector<std::pair<std::string, std::string>>;

void debug(std::string_view message, const Fields& fields = {});
void info(std::string_view message, const Fields& fields = {});
void warn(std::string_view message, const Fields& fields = {});
void error(std::string_view message, const Fields& fields = {});

/// While alive, every log line of this thread names the namespace it is about
/// (text: a "NAMESPACE: " prefix; JSON: a "namespace" member), so the lines of a
/// multi-namespace run can be told apart.
class NamespaceScope {
 public:
  explicit NamespaceScope(std::string namespace_);
  ~NamespaceScope();
  NamespaceScope(const NamespaceScope&) = delete;
  NamespaceScope& operator=(const NamespaceScope&) = delete;

 private:
  std::string namespace_;
  const std::string* previous_;
};

/// A single updating status line at the bottom of stderr (a terminal only): log
/// lines and print_above_status() blocks are written above it. Empty clears it.
void set_status_line(const std::string& text);

/// Writes `text` to `stream` (stdout or stderr) without garbling the status line.
void print_above_status(std::FILE* stream, const std::string& text);

/// Parses --log-format / --log-level values; nullopt-like failure throws UsageError.
Format parse_format(const std::string& text);
Level parse_level(const std::string& text);

}  // namespace rotator::log
