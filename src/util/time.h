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

/// The years a TimePoint (64-bit nanoseconds since 1970) holds with room to add
/// a duration: times outside are refused, never wrapped around.
inline constexpr int earliest_year = 1678;
inline constexpr int latest_year = 2261;

/// Parses RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction). nullopt when
/// malformed or outside [earliest_year, latest_year].
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// A JWT NumericDate (seconds since 1970, possibly fractional) as a TimePoint;
/// nullopt when not finite or outside [earliest_year, latest_year].
std::optional<TimePoint> from_unix_seconds(double seconds);

/// The longest duration parse_duration accepts (100 years of 365 days), so that
/// now + duration stays a valid TimePoint.
inline constexpr std::chrono::milliseconds longest_duration{36500LL * 86400000};

/// Parses a duration such as "30d", "12h", "1h30m", "90s", "500ms" or "0" (days are
/// 24 h). nullopt when malformed, negative or longer than longest_duration.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// "1d2h", "5m", "0s": the shortest exact form parse_duration reads back.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace rotator::util
