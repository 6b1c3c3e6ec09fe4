#include "frame/shard.h"

#include <charconv>

#include "crypto/hash.h"
#include "util/errors.h"

namespace rotator::frame {
namespace {

/// A whole decimal number, or nullopt ("", signs, spaces and trailing text are not numbers).
std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::size_t checked_count(std::string_view text, const std::string& flag) {
  const auto count = whole_number(text);
  if (!count || *count < 1 || *count > max_shards) {
    throw UsageError(flag + ": the number of shards must be a whole number from 1 to " + std::to_string(max_shards) +
                     ", not \"" + std::string(text) + "\"");
  }
  return *count;
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    throw UsageError("--shard must be INDEX/COUNT with INDEX from 0, e.g. --shard 0/4, not \"" + std::string(text) +
                     "\"");
  }
  Shard shard;
  shard.count = checked_count(text.substr(slash + 1), "--shard " + std::string(text));
  const auto index = whole_number(text.substr(0, slash));
  if (!index || *index >= shard.count) {
    throw UsageError("--shard " + std::string(text) + ": INDEX must be a whole number from 0 to " +
                     std::to_string(shard.count - 1));
  }
  shard.index = *index;
  return shard;
}

Shard shard_from_completion_index(std::string_view count_text, const char* completion_index) {
  Shard shard;
  shard.count = checked_count(count_text, "--shard-count " + std::string(count_text));
  if (completion_index == nullptr || *completion_index == '\0') {
    throw UsageError(
        "--shard-count needs $JOB_COMPLETION_INDEX (set in the pods of an Indexed Job); "
        "elsewhere use --shard INDEX/COUNT");
  }
  const auto index = whole_number(completion_index);
  if (!index || *index >= shard.count) {
    throw UsageError("$JOB_COMPLETION_INDEX is \"" + std::string(completion_index) +
                     "\", not an index below --shard-count " + std::to_string(shard.count) +
                     ": make the Job's completions equal to --shard-count");
  }
  shard.index = *index;
  return shard;
}

std::size_t shard_of(std::string_view namespace_, std::size_t count) {
  const std::string digest = crypto::sha256(namespace_);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(digest[i]);
  return static_cast<std::size_t>(value % count);
}

std::vector<std::string> namespaces_of_shard(const std::vector<std::string>& namespaces, Shard shard) {
  std::vector<std::string> chosen;
  for (const auto& ns : namespaces) {
    if (shard_of(ns, shard.count) == shard.index) chosen.push_back(ns);
  }
  return chosen;
}

}  // namespace rotator::frame
