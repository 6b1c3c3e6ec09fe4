#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace rotator::log {

enum class Format { text, json };
enum class Level { debug, info, warn, error };

/// Routes rotator's and the Kubernetes client's logs to stderr in the chosen format.
/// Text suits a terminal, JSON suits a Job's log collector.
void configure(Format format, Level level);

/// The format configure() chose last.
Format current_format();

/// One field's value: text, or a number or boolean that JSON logs keep as such.
class FieldValue {
 public:
  FieldValue(std::string text) : value_(std::move(text)) {}
  FieldValue(const char* text) : value_(std::string(text)) {}
  FieldValue(std::string_view text) : value_(std::string(text)) {}
  template <typename T>
  requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)FieldValue(T number)
      : value_(static_cast<long long>(number)) {}
  FieldValue(double number) : value_(number) {}
  FieldValue(bool flag) : value_(flag) {}

  const std::variant<std::string, long long, double, bool>& value() const { return value_; }
  /// As text: numbers and booleans as they read.
  std::string text() const;

 private:
  std::variant<std::string, long long, double, bool> value_;
};

/// Structured fields, rendered as key=value (text) or JSON members (numbers as
/// numbers). Never put key or token material here.
using Fields = std::vector<std::pair<std::string, FieldValue>>;

void debug(std::string_view message, const Fields& fields = {});
void info(std::string_view message, const Fields& fields = {});
void warn(std::string_view message, const Fields& fields = {});
void error(std::string_view message, const Fields& fields = {});

/// One log line about `scope` (a namespace in a multi-namespace run, else empty):
/// text lines start with "SCOPE: ", JSON lines carry a "namespace" member.
void write(Level level, std::string_view message, const Fields& fields, std::string_view scope);

/// A single updating status line at the bottom of stderr (a terminal only): log
/// lines and print_above_status() blocks are written above it. Empty clears it.
void set_status_line(const std::string& text);

/// Writes `text` to `stream` (stdout or stderr) without garbling the status line.
void print_above_status(std::FILE* stream, const std::string& text);

/// Parses --log-format / --log-level values; nullopt-like failure throws UsageError.
Format parse_format(const std::string& text);
Level parse_level(const std::string& text);

}  // namespace rotator::log
