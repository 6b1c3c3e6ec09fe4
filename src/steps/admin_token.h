#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "formats/key_ring.h"
#include "formats/token_file.h"
#include "frame/step.h"
#include "steps/key_gen.h"

namespace rotator::steps {

struct AdminTokenOptions {
  std::string secret_name = "admin-token";
  std::string keys_secret_name = "rsa-keys";
  std::chrono::milliseconds ttl{0};           ///< 0: the token never expires
  std::chrono::milliseconds renew_before{0};  ///< renew when expiry is this close
  std::string issuer = "rotator";
  std::string subject = "admin";
  Force force = Force::no;  ///< replace an unreadable token file
};

/// Why create-admin-token does what it does.
namespace admin_token_reason {
inline constexpr const char* none_yet = "no admin token yet";
inline constexpr const char* placeholder = "the Secret is empty (created by the install)";
inline constexpr const char* forced = "--force: replacing unreadable token data";
inline constexpr const char* expired = "the token has expired";
inline constexpr const char* bad_signature = "the signature does not verify under the current key";
inline constexpr const char* other_key = "the token was signed by another key";
inline constexpr const char* malformed = "the token is not a well-formed JWT";
}  // namespace admin_token_reason

/// What the admin token check found: pure, table-tested.
struct AdminTokenAssessment {
  enum class Action { nothing, create, replace } action = Action::nothing;
  std::string reason;
};

/// Does the observed admin-token Secret hold a token file whose JWT verifies
/// under the ring's current key and is not within renew_before of expiry? Throws
/// InvalidDataError when it holds something that is not a token file (unless
/// force). An empty Secret (created by the install) counts as absent.
AdminTokenAssessment assess_admin_token(const formats::KeyRing& ring, const std::optional<kube::Secret>& observed,
                                        const AdminTokenOptions& options, util::TimePoint now);

/// A new admin JWT signed by the ring's current key (kid header, iss, sub, iat,
/// jti, and exp when a TTL is set), as a token file.
formats::TokenFile mint_admin_token(const formats::KeyRing& ring, const AdminTokenOptions& options,
                                    util::TimePoint now);

/// The change that writes a freshly minted token into the admin-token Secret,
/// keeping the members of the existing token file rotator does not own.
frame::Change admin_token_change(const formats::KeyRing& ring, const std::optional<kube::Secret>& observed,
                                 const AdminTokenOptions& options, const std::string& ns, util::TimePoint now,
                                 const std::string& reason);

/// The signing keys a step needs to exist and be valid (current key only).
/// Throws: absent or empty ("run key-gen first"), or invalid (with the hints).
formats::KeyRing required_key_ring(const frame::Snapshot& seen, const std::string& keys_secret, util::TimePoint now);

/// create-admin-token: makes sure the admin-token Secret holds a valid token.
class AdminTokenStep : public frame::Step {
 public:
  explicit AdminTokenStep(AdminTokenOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "create-admin-token"; }
  std::vector<frame::ObjectRef> reads() const override;
  frame::Decision decide(const frame::Snapshot& seen, const frame::DecisionContext& context) const override;
  std::vector<kube::Access> rights(const frame::Snapshot& seen) const override;

 private:
  AdminTokenOptions options_;
};

/// The right to write the Secret `name`: create when absent, else update.
kube::Access secret_write_right(const frame::Snapshot& seen, const std::string& name);

}  // namespace rotator::steps
