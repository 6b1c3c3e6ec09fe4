#pragma once

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

/// Parses --log-format / --log-level values; nullopt-like failure throws UsageError.
Format parse_format(const std::string& text);
Level parse_level(const std::string& text);

}  // namespace rotator::log
