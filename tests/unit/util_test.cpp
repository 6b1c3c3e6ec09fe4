#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "util/base64.h"
#include "util/time.h"

using namespace rotator::util;
using std::chrono::milliseconds;

TEST_CASE("base64: RFC 4648 vectors, both alphabets") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::string(plain));
  }
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  CHECK(base64url_decode("-_8=") == std::string("\xfb\xff"));
}

TEST_CASE("base64: strict decoding refuses what no encoder writes") {
  for (const char* bad : {"Zg", "Zg=", "Z", "Zm9v\n", " Zm9v", "Zm9v!", "Zh==", "-_8="}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad).has_value());
  }
  CHECK_FALSE(base64url_decode("a+b").has_value());
  CHECK_FALSE(base64url_decode("a").has_value());
}

TEST_CASE("time: RFC 3339 round trip and offsets") {
  const auto t = parse_rfc3339("2026-11-22T05:15:12Z");
  REQUIRE(t.has_value());
  CHECK(format_rfc3339(*t) == "2026-11-22T05:15:12Z");
  CHECK(parse_rfc3339("2026-11-22T06:15:12+01:00") == t);
  CHECK(parse_rfc3339("2026-11-22T05:15:12.000000Z") == t);
  for (const char* bad : {"2026-11-22", "2026-11-22T05:15:12", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-22T05:15:12Zjunk", "yesterday"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
}

TEST_CASE("time: a time a TimePoint cannot hold is refused, never wrapped (found by status_fuzz)") {
  // Nanoseconds since 1970 in 64 bits end in April 2262: "9999-12-31" used to
  // overflow inside from_time_t.
  CHECK(parse_rfc3339("2261-12-31T23:59:59Z").has_value());
  CHECK(parse_rfc3339("1678-01-01T00:00:00Z").has_value());
  for (const char* far : {"2262-01-01T00:00:00Z", "4052-11-22T08:19:25Z", "9999-12-31T23:59:59Z",
                          "1677-12-31T23:59:59Z", "0000-01-01T00:00:00Z"}) {
    INFO(far);
    CHECK_FALSE(parse_rfc3339(far).has_value());
  }
  CHECK(from_unix_seconds(1'800'000'000) == parse_rfc3339("2027-01-15T08:00:00Z"));
  CHECK(from_unix_seconds(1.5)->time_since_epoch() == std::chrono::milliseconds(1500));
  for (double far : {1e30, -1e30, 9.3e9, std::numeric_limits<double>::infinity(), std::nan("")}) {
    INFO(far);
    CHECK_FALSE(from_unix_seconds(far).has_value());
  }
}

TEST_CASE("time: durations") {
  CHECK(parse_duration("30d") == milliseconds(30LL * 86400000));
  CHECK(parse_duration("1h30m") == milliseconds(5400000));
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("0") == milliseconds(0));
  CHECK(parse_duration("36500d") == longest_duration);
  // Longer would overflow now + duration (found in review of the fuzz findings).
  for (const char* bad : {"", "5", "-5m", "5x", "m", "1.5h", "36501d", "36500d1ms", "10000000d", "99999999999999h"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
  CHECK(format_duration(milliseconds(90061000)) == "1d1h1m1s");
  CHECK(format_duration(milliseconds(0)) == "0s");
}
