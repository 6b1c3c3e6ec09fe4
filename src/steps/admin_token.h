#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kube/objects.h"
#include "steps/key_ring.h"
#include "steps/step_context.h"

namespace rotator::steps {

/// The token file influxctl reads: the JSON form of an OAuth2 token as Go's
/// oauth2.Token writes it.
struct TokenFile {
  std::string access_token;
  std::string token_type = "Bearer";
  std::optional<util::TimePoint> expiry;
};

/// Throws InvalidDataError when `text` is not a token file.
TokenFile parse_token_file(std::string_view text);
std::string serialize_token_file(const TokenFile& file);

/// Data key of the admin-token Secret (contract).
inline constexpr const char* admin_token_key = "token";

struct AdminTokenOptions {
  std::string secret_name = "admin-token";
  std::string keys_secret_name = "rsa-keys";
  std::chrono::milliseconds ttl{0};            ///< 0: the token never expires
  std::chrono::milliseconds renew_before{0};   ///< renew when expiry is this close
  std::string issuer = "rotator";
  std::string subject = "admin";
  enum class Force { no, yes } force = Force::no;
};

/// What the admin token check found.
struct AdminTokenDecision {
  enum class Action { nothing, create, replace } action = Action::nothing;
  std::string reason;
};

/// Pure: does the observed admin-token Secret hold a token file whose JWT verifies
/// under the ring's current key and is not within renew_before of expiry? Throws
/// InvalidDataError when the Secret exists but holds no readable token file
/// (unless force).
AdminTokenDecision decide_admin_token(const KeyRing& ring, const std::optional<kube::Secret>& observed,
                                      const AdminTokenOptions& options, util::TimePoint now);

/// A new admin JWT signed by the ring's current key (kid header, iss, sub, iat,
/// jti, and exp when a TTL is set), as a token file.
TokenFile mint_admin_token(const KeyRing& ring, const AdminTokenOptions& options, util::TimePoint now);

/// Makes sure the admin-token Secret holds a valid token: observe, decide, write.
/// Fails clearly when the signing-key Secret is missing.
void run_create_admin_token(StepContext& context, const AdminTokenOptions& options);

/// The same, for a caller that already read the key ring (revoke-and-rotate).
void ensure_admin_token(StepContext& context, const AdminTokenOptions& options, const KeyRing& ring,
                        const std::string& step);

/// Reads and checks the signing-key Secret; a clear error when it is absent.
KeyRing load_key_ring(StepContext& context, const std::string& keys_secret_name);

}  // namespace rotator::steps
