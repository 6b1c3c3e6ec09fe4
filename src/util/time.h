#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rotator::util {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// RFC 3339 in UTC with second precision ("2026-11-22T05:15:12Z"), as Kubernetes writes times.
std::string format_rfc3339(TimePoint t);

/// Parses RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction). nullopt when malformed.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// Parses a duration such as "30d", "12h", "1h30m", "90s", "500ms" or "0" (days are
/// 24 h). nullopt when malformed or negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// "1d2h", "5m", "0s": the shortest exact form parse_duration reads back.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace rotator::util
