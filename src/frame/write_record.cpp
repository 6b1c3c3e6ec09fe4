#include "frame/write_record.h"

#include <nlohmann/json.hpp>

namespace rotator::frame {

std::optional<WriteRecord> parse_write_record(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || json.size() > max_write_record_entries) return std::nullopt;
  WriteRecord record;
  for (const auto& [name, version] : json.items()) {
    if (!version.is_string() || version.get_ref<const std::string&>().empty()) return std::nullopt;
    record.emplace(name, version.get<std::string>());
  }
  return record;
}

std::string write_record_text(const WriteRecord& record) {
  return nlohmann::json(record).dump();
}

std::set<ObjectRef> unchanged_under_lock(const Snapshot& seen, const WriteRecord& record) {
  std::set<ObjectRef> unchanged;
  for (const auto& name : seen.secret_names()) {
    const auto& secret = *seen.find_secret(name);
    const auto written = record.find(name);
    // An absent Secret has no version to match: whether a holder created it
    // since is unknown, so it is read again.
    if (secret && written != record.end() && secret->metadata.resource_version == written->second) {
      unchanged.insert(ObjectRef::secret(name));
    }
  }
  return unchanged;
}

}  // namespace rotator::frame
