#include "steps/token_commands.h"

#include <algorithm>

#include "formats/influxctl_output.h"
#include "util/errors.h"

namespace rotator::steps {

TokenCreateStep::TokenCreateStep(std::string command, RegistryRef registry, formats::TokenRecord record)
    : command_(std::move(command)), registry_(std::move(registry)), record_(std::move(record)) {}

std::vector<frame::ObjectRef> TokenCreateStep::reads() const {
  return {frame::ObjectRef::secret(registry_.secret_name)};
}

std::vector<kube::Access> TokenCreateStep::rights(const frame::Snapshot& seen) const {
  if (!seen.secret(registry_.secret_name)) return {{"create", "", "secrets", ""}};
  return {{"update", "", "secrets", registry_.secret_name}};
}

frame::Decision TokenCreateStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const {
  formats::Registry registry = registry_in(seen, registry_);
  const std::string kind(formats::kind_name(registry_.kind));
  if (formats::find_by_id(registry, record_.id) != nullptr) {
    return frame::Decision::done(kind + " token " + record_.id + " is recorded");
  }
  formats::TokenRecord record = record_;
  record.created_by = context.user;
  registry.records.push_back(record);
  frame::Change change = registry_change(seen, registry_, registry);
  change.reason = "add " + kind + " token " + record.id + " (\"" + record.description + "\"), expires " +
                  (record.expires_at ? util::format_rfc3339(*record.expires_at) : "never");
  change.event = frame::EventNote{"TokenCreated",
                                  kind + " token " + record.id + " (\"" + record.description + "\") created by " +
                                      (record.created_by.empty() ? "unknown" : record.created_by),
                                  std::nullopt};
  return frame::Decision::apply(std::move(change));
}

TokenRevokeStep::TokenRevokeStep(std::string command, RegistryRef registry, std::vector<std::string> ids,
                                 util::TimePoint revoked_at)
    : command_(std::move(command)),
      registry_(std::move(registry)),
      ids_(std::move(ids)),
      revoked_at_(formats::to_seconds(revoked_at)) {}

std::vector<frame::ObjectRef> TokenRevokeStep::reads() const {
  return {frame::ObjectRef::secret(registry_.secret_name)};
}

std::vector<kube::Access> TokenRevokeStep::rights(const frame::Snapshot& /*seen*/) const {
  return {{"update", "", "secrets", registry_.secret_name}};
}

frame::Decision TokenRevokeStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& /*context*/) const {
  formats::Registry registry = registry_in(seen, registry_);
  const auto results = formats::revoke_ids(registry, ids_, revoked_at_);
  std::string revoked;
  for (const auto& result : results) {
    if (result.outcome == formats::RevokeOutcome::revoked) {
      revoked += (revoked.empty() ? "" : ", ") + result.id + " (\"" + result.description + "\")";
    }
  }
  const std::string kind(formats::kind_name(registry_.kind));
  if (revoked.empty()) return frame::Decision::done("no " + kind + " token left to revoke");
  frame::Change change = registry_change(seen, registry_, registry);
  change.reason = "revoke " + kind + " token " + revoked;
  change.event = frame::EventNote{"TokenRevoked", kind + " token " + revoked + " revoked", std::nullopt};
  return frame::Decision::apply(std::move(change));
}

TokenUpdateStep::TokenUpdateStep(std::string command, RegistryRef registry, std::string id, TokenUpdate update)
    : command_(std::move(command)), registry_(std::move(registry)), id_(std::move(id)), update_(std::move(update)) {}

std::vector<frame::ObjectRef> TokenUpdateStep::reads() const {
  return {frame::ObjectRef::secret(registry_.secret_name)};
}

std::vector<kube::Access> TokenUpdateStep::rights(const frame::Snapshot& /*seen*/) const {
  return {{"update", "", "secrets", registry_.secret_name}};
}

frame::Decision TokenUpdateStep::decide(const frame::Snapshot& seen, const frame::DecisionContext& /*context*/) const {
  formats::Registry registry = registry_in(seen, registry_);
  const std::string kind(formats::kind_name(registry_.kind));
  auto record = std::find_if(registry.records.begin(), registry.records.end(),
                             [&](const formats::TokenRecord& r) { return r.id == id_; });
  if (record == registry.records.end()) throw Error("no " + kind + " token with id " + id_);
  if (record->revoked_at) {
    // Revoking is final: a revoked token's record stays as it was when revoked.
    throw Error(kind + " token " + id_ + " was revoked at " + util::format_rfc3339(*record->revoked_at) +
                " and cannot be updated");
  }
  std::vector<std::string> changed;
  if (update_.description && *update_.description != record->description) {
    changed.push_back("description \"" + record->description + "\" -> \"" + *update_.description + "\"");
    record->description = *update_.description;
  }
  if (update_.permissions && *update_.permissions != record->permissions) {
    changed.push_back("permissions " + formats::permissions_text(record->permissions) + " -> " +
                      formats::permissions_text(*update_.permissions));
    record->permissions = *update_.permissions;
  }
  if (changed.empty()) return frame::Decision::done(kind + " token " + id_ + " is already as asked");
  std::string what;
  for (const auto& c : changed) what += (what.empty() ? "" : ", ") + c;
  frame::Change change = registry_change(seen, registry_, registry);
  change.reason = "update " + kind + " token " + id_ + ": " + what;
  change.event = frame::EventNote{"TokenUpdated", kind + " token " + id_ + " updated: " + what, std::nullopt};
  return frame::Decision::apply(std::move(change));
}

}  // namespace rotator::steps
