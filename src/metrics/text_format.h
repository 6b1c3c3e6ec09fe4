#pragma once

// The Prometheus text exposition format (version 0.0.4), as Prometheus, promtool
// and the Pushgateway read it: one HELP and one TYPE line per family, then its
// samples. No library for it is packaged in Debian for C++ (prometheus-cpp is
// not), and the format is small, so it is written here.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rotator::metrics {

/// Label name and value, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  Labels labels;
  double value = 0;
};

enum class MetricType { gauge, counter, untyped };

/// One metric family: every sample of one name. A rendered document holds each
/// family once, which is what promtool and the Pushgateway require.
struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<Sample> samples;
};

/// The Content-Type of render()'s output.
inline constexpr std::string_view text_format_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Renders families in order. Families without samples are left out (a HELP
/// with no sample tells a reader nothing). Throws std::invalid_argument on an
/// invalid metric or label name, or a family name given twice: those are
/// programming errors, not data.
std::string render(const std::vector<MetricFamily>& families);

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_metric_name(std::string_view name);
/// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved by Prometheus).
bool is_valid_label_name(std::string_view name);

/// A label value as written between the quotes: backslash, double quote and
/// line feed escaped; bytes that are not valid UTF-8 replaced by U+FFFD (the
/// Pushgateway refuses a push holding invalid UTF-8).
std::string escape_label_value(std::string_view value);

/// HELP text: backslash and line feed escaped, invalid UTF-8 replaced.
std::string escape_help(std::string_view text);

/// A sample value: integers without a fraction ("1700000000"), others in the
/// shortest form that reads back exactly, and "NaN", "+Inf", "-Inf".
std::string format_value(double value);

/// Replaces every byte sequence that is not valid UTF-8 by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace rotator::metrics
