#include "frame/write_record.h"

#include <nlohmann/json.hpp>

namespace rotator::frame {

std::optional<WriteRecord> parse_write_record(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  const auto released = json.find("releasedAt");
  const auto secrets = json.find("secrets");
  if (released == json.end() || !released->is_string() || secrets == json.end() || !secrets->is_object() ||
      secrets->size() > max_write_record_entries) {
    return std::nullopt;
  }
  WriteRecord record;
  record.released_at = released->get<std::string>();
  for (const auto& [name, version] : secrets->items()) {
    if (!version.is_string() || version.get_ref<const std::string&>().empty()) return std::nullopt;
    record.secrets.emplace(name, version.get<std::string>());
  }
  return record;
}

std::string write_record_text(const WriteRecord& record) {
  return nlohmann::json{{"releasedAt", record.released_at}, {"secrets", record.secrets}}.dump();
}

std::optional<WriteRecord> record_of_release(const std::optional<WriteRecord>& record,
                                             const std::optional<util::TimePoint>& release_renew_time) {
  if (!record || !release_renew_time) return std::nullopt;
  // As moments, not text: the API server may write a MicroTime its own way.
  const auto recorded = util::parse_rfc3339(record->released_at);
  if (!recorded || *recorded != *release_renew_time) return std::nullopt;
  return record;
}

std::set<ObjectRef> unchanged_under_lock(const Snapshot& seen, const WriteRecord& record) {
  std::set<ObjectRef> unchanged;
  for (const auto& name : seen.secret_names()) {
    const auto& secret = *seen.find_secret(name);
    const auto written = record.secrets.find(name);
    // An absent Secret has no version to match: whether a holder created it
    // since is unknown, so it is read again.
    if (secret && written != record.secrets.end() && secret->metadata.resource_version == written->second) {
      unchanged.insert(ObjectRef::secret(name));
    }
  }
  return unchanged;
}

}  // namespace rotator::frame
