#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/secret.h"
#include "formats/registry.h"
#include "frame/step.h"
#include "steps/token_registry.h"

namespace rotator::steps {

/// management create / token create: adds one token's record (its hash, never
/// the token) to the registry. The token and its record are made when the step is
/// bound, so deciding again (under the lock, after a conflict) adds the same one.
class TokenCreateStep : public frame::Step {
 public:
  TokenCreateStep(std::string command, RegistryRef registry, formats::TokenRecord record);
  std::string name() const override { return command_; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;

  /// The record as bound (created_by is filled in when decided).
  const formats::TokenRecord& record() const { return record_; }

 private:
  std::string command_;
  RegistryRef registry_;
  formats::TokenRecord record_;
};

/// management revoke / token revoke: marks records revoked, all at the moment the
/// step was bound, in one registry write. Unknown ids are left for the command to
/// report; already revoked ones keep their time.
class TokenRevokeStep : public frame::Step {
 public:
  TokenRevokeStep(std::string command, RegistryRef registry, std::vector<std::string> ids, util::TimePoint revoked_at);
  std::string name() const override { return command_; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;

  util::TimePoint revoked_at() const { return revoked_at_; }

 private:
  std::string command_;
  RegistryRef registry_;
  std::vector<std::string> ids_;
  util::TimePoint revoked_at_;
};

/// What `token update` changes; an absent field is kept as it is.
struct TokenUpdate {
  std::optional<std::string> description;
  std::optional<std::vector<formats::Permission>> permissions;  ///< replaces them all
};

/// token update: changes the description and/or the permissions of one live
/// token in one registry write. The token itself and its hash never change.
class TokenUpdateStep : public frame::Step {
 public:
  TokenUpdateStep(std::string command, RegistryRef registry, std::string id, TokenUpdate update);
  std::string name() const override { return command_; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;

 private:
  std::string command_;
  RegistryRef registry_;
  std::string id_;
  TokenUpdate update_;
};

}  // namespace rotator::steps
