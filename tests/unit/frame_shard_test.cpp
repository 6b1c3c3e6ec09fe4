// --shard and --shard-count: parsing, and that shards split a fleet into disjoint
// shares that cover it, stable when namespaces come and go.

#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "crypto/hash.h"
#include "frame/shard.h"
#include "util/errors.h"

using namespace rotator;
using frame::Shard;

namespace {

std::vector<std::string> fleet(std::size_t n, const std::string& prefix = "team-") {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

}  // namespace

TEST_CASE("shard: INDEX/COUNT and the Job's completion index are parsed, bad values are usage errors") {
  CHECK(frame::parse_shard("0/1") == Shard{0, 1});
  CHECK(frame::parse_shard("3/4") == Shard{3, 4});
  CHECK(frame::parse_shard("999/1000") == Shard{999, 1000});
  for (const char* bad :
       {"", "1", "/", "4/4", "1/0", "-1/2", "1/-2", "a/2", "1/b", " 1/2", "1/2 ", "1/2/3", "0/1001", "1.0/2", "+1/2"}) {
    INFO(bad);
    CHECK_THROWS_AS(frame::parse_shard(bad), UsageError);
  }
  CHECK(frame::shard_from_completion_index("4", "2") == Shard{2, 4});
  CHECK_THROWS_WITH(frame::shard_from_completion_index("4", nullptr), Catch::Contains("JOB_COMPLETION_INDEX"));
  CHECK_THROWS_WITH(frame::shard_from_completion_index("4", ""), Catch::Contains("JOB_COMPLETION_INDEX"));
  CHECK_THROWS_WITH(frame::shard_from_completion_index("4", "4"), Catch::Contains("completions"));
  CHECK_THROWS_AS(frame::shard_from_completion_index("0", "0"), UsageError);
  CHECK_THROWS_AS(frame::shard_from_completion_index("x", "0"), UsageError);
}

TEST_CASE("shard: the shards of a fleet are disjoint and cover every namespace exactly once") {
  for (const std::size_t count : {1U, 2U, 3U, 7U, 16U}) {
    for (const std::size_t n : {0U, 1U, 7U, 200U}) {
      const auto names = fleet(n);
      std::multiset<std::string> seen;
      for (std::size_t index = 0; index < count; ++index) {
        for (const auto& ns : frame::namespaces_of_shard(names, {index, count})) seen.insert(ns);
      }
      INFO(count << " shards, " << n << " namespaces");
      CHECK(seen == std::multiset<std::string>(names.begin(), names.end()));
    }
  }
}

TEST_CASE("shard: a namespace stays in its shard when others are added or removed, and shares are even") {
  const auto before = fleet(1000);
  auto after = fleet(300, "new-");
  after.insert(after.end(), before.begin() + 100, before.end());  // 100 gone, 300 new
  // Which shard each namespace lands in, when the fleet is split as a whole.
  const auto split = [](const std::vector<std::string>& names) {
    std::map<std::string, std::size_t> where;
    for (std::size_t index = 0; index < 8; ++index) {
      for (const auto& ns : frame::namespaces_of_shard(names, {index, 8})) where[ns] = index;
    }
    return where;
  };
  const auto was = split(before);
  const auto is = split(after);
  std::size_t kept = 0;
  for (const auto& [ns, index] : is) {
    if (!was.contains(ns)) continue;
    ++kept;
    INFO(ns);
    CHECK(was.at(ns) == index);
  }
  CHECK(kept == 900);
  // Shares of 1000 namespaces in 4 shards are near 250 each (a hash, not a count).
  for (std::size_t index = 0; index < 4; ++index) {
    const auto size = frame::namespaces_of_shard(before, {index, 4}).size();
    CHECK(size > 200);
    CHECK(size < 300);
  }
}

TEST_CASE("shard: the shard is what an operator computes with sha256sum") {
  // printf %s influxdb-prod | sha256sum: the first 16 hex digits, as a number, mod COUNT.
  const std::string hex = crypto::sha256_hex("influxdb-prod").substr(0, 16);
  const auto value = std::stoull(hex, nullptr, 16);
  for (const std::size_t count : {2U, 3U, 10U}) CHECK(frame::shard_of("influxdb-prod", count) == value % count);
}
