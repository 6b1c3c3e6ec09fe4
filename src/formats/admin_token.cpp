#include "formats/admin_token.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "crypto/crypto_error.h"
#include "crypto/jwt.h"
#include "util/json_fields.h"

namespace rotator::formats {
namespace {

std::optional<util::TimePoint> time_claim(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return util::from_unix_seconds(it->get<double>());
}

/// Why a token of another key than the current one does not verify.
std::string foreign_kid_reason(const std::string& kid, const KeyRing& ring) {
  if (ring.next && kid == ring.next->kid) {
    return "signed by the staged key kid=" + kid + ", which does not sign until promoted";
  }
  for (const auto& retired : ring.retired) {
    if (retired.kid == kid) {
      return "signed by a retired key (kid=" + kid + "), trusted by key-set verifiers only until " +
             util::format_rfc3339(retired.trusted_until);
    }
  }
  if (std::find(ring.former_kids.begin(), ring.former_kids.end(), kid) != ring.former_kids.end()) {
    return "signed by a retired key (kid=" + kid + ") that is no longer published";
  }
  return "signed by an unknown key (kid=" + kid + "): not a key of this Secret (another namespace or cluster?)";
}

}  // namespace

TokenVerdict verify_admin_token(const std::string& token, const KeyRing& ring, util::TimePoint now) {
  TokenVerdict verdict;
  crypto::DecodedJwt decoded;
  try {
    decoded = crypto::decode_jwt_unverified(token);
  } catch (const crypto::CryptoError&) {
    verdict.kind = "unknown";
    verdict.reason = "not a JWT, nor a management or database token";
    return verdict;
  }
  verdict.id = util::string_member(decoded.claims, "jti");
  verdict.kid = util::string_member(decoded.header, "kid");
  verdict.issued_at = time_claim(decoded.claims, "iat");
  verdict.expires_at = time_claim(decoded.claims, "exp");

  if (verdict.kid != ring.current.kid) {
    verdict.reason = foreign_kid_reason(verdict.kid, ring);
    return verdict;
  }
  const auto result = crypto::verify_jwt(token, *ring.current.private_key, now);
  if (result.ok()) {
    verdict.valid = true;
    verdict.reason = "valid";
  } else if (*result.failure == crypto::JwtFailure::expired) {
    verdict.reason = "expired";
  } else if (*result.failure == crypto::JwtFailure::bad_signature) {
    verdict.reason = "bad signature";
  } else {
    verdict.reason = std::string(crypto::to_string(*result.failure));
  }
  return verdict;
}

}  // namespace rotator::formats
