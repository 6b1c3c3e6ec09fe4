#include "steps/verify.h"

#include <nlohmann/json.hpp>

#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/jwt.h"
#include "util/json_fields.h"
#include "util/time.h"

namespace rotator::steps {
namespace {

std::optional<util::TimePoint> time_claim(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return util::from_unix_seconds(it->get<double>());
}

}  // namespace

std::string extract_token(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  std::string trimmed = text.substr(first, last - first + 1);
  if (trimmed.starts_with("{")) {
    const auto json = nlohmann::json::parse(trimmed, nullptr, false);
    if (json.is_object() && json.contains("access_token") && json["access_token"].is_string()) {
      return json["access_token"].get<std::string>();
    }
  }
  return trimmed;
}

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
    if (ring.next && verdict.kid == ring.next->kid) {
      verdict.reason = "signed by the staged key kid=" + verdict.kid + ", which does not sign until promoted";
    } else if (ring.previous && verdict.kid == ring.previous->kid) {
      verdict.reason = "signed by a retired key (kid=" + verdict.kid + "), trusted by key-set verifiers only until " +
                       util::format_rfc3339(ring.previous->trusted_until);
    } else {
      verdict.reason = "signed by a retired key (kid=" + verdict.kid + ") that is no longer published";
    }
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

}  // namespace rotator::steps
