#pragma once

// The admin token (contract, see README): a JWT signed by the ring's current key,
// with header kid and claims iss, sub, iat, jti and exp when it expires. This
// file judges one against a key ring; minting is the create-admin-token step's.

#include <optional>
#include <string>

#include "formats/key_ring.h"
#include "util/time.h"

namespace rotator::formats {

/// The verdict on an admin JWT, against the signing-key Secret.
struct TokenVerdict {
  bool valid = false;
  std::string kind = "admin token";
  std::string id;      ///< jti, as the token says (unverified when not valid)
  std::string kid;     ///< as the token's header says
  std::string reason;  ///< why not valid; or "valid"
  std::optional<util::TimePoint> issued_at;
  std::optional<util::TimePoint> expires_at;
};

/// Pure: checks `token` against the ring. Valid only when signed by the current
/// key and not expired. Otherwise names what the kid is: the staged key, a
/// retired key still trusted by key-set verifiers, a key this Secret retired, or
/// a key it never had (another namespace or cluster).
TokenVerdict verify_admin_token(const std::string& token, const KeyRing& ring, util::TimePoint now);

}  // namespace rotator::formats
