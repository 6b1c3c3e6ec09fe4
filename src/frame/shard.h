#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rotator::frame {

/// One of COUNT disjoint shares of a fleet's namespaces, for splitting one run
/// over several processes (the pods of an Indexed Job, or N Jobs).
struct Shard {
  std::size_t index = 0;  ///< 0 .. count-1
  std::size_t count = 1;
  bool operator==(const Shard&) const = default;
};

/// The most shards a fleet may be split into.
inline constexpr std::size_t max_shards = 1000;

/// Parses --shard "INDEX/COUNT" (INDEX from 0). Throws UsageError.
Shard parse_shard(std::string_view text);

/// The shard of --shard-count COUNT whose index a Job's completion index gives
/// (`JOB_COMPLETION_INDEX`, set by Kubernetes in every pod of an Indexed Job).
/// Throws UsageError when the index is missing or out of range.
Shard shard_from_completion_index(std::string_view count_text, const char* completion_index);

/// Which shard a namespace belongs to: the first 8 bytes of SHA-256 of its name,
/// as a big-endian number, modulo `count`. It depends on the name alone, so
/// adding or removing namespaces never moves another one to a different shard,
/// and an operator can compute it (`printf %s NS | sha256sum`).
std::size_t shard_of(std::string_view namespace_, std::size_t count);

/// The namespaces of `shard`, in their given order.
std::vector<std::string> namespaces_of_shard(const std::vector<std::string>& namespaces, Shard shard);

}  // namespace rotator::frame
