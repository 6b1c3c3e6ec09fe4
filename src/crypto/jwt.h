#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/algorithm.h"

namespace rotator::crypto {

/// Why a token was not accepted.
enum class JwtFailure {
  malformed,              ///< not three base64url parts of JSON objects, or a non-numeric exp/nbf
  unsupported_algorithm,  ///< "alg" is not RS256/ES256/EdDSA (e.g. "none", "HS256")
  unsupported_header,     ///< a "crit" header asks for extensions rotator does not implement
  algorithm_mismatch,     ///< "alg" is supported but is not the verifying key's algorithm
  kid_mismatch,           ///< "kid" differs from the one the caller expected
  bad_signature,          ///< the signature does not verify under the key
  expired,                ///< now is at or after exp (plus leeway)
  not_yet_valid,          ///< now is before nbf (minus leeway)
};

/// Short stable name for logs, e.g. "bad_signature".
std::string_view to_string(JwtFailure failure);

/// Header and claims of a compact JWS, decoded but not verified.
struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
};

/// Caller choices for verify_jwt beyond the key and the time.
struct JwtVerifyOptions {
  /// Clock skew tolerated on exp and nbf.
  std::chrono::seconds leeway{0};
  /// When set, the header's "kid" must equal it.
  std::optional<std::string> expected_kid;
};

/// Outcome of verify_jwt. header and claims are filled whenever the token
/// could be decoded, even when verification failed (useful for reporting
/// which key or expiry was involved); trust them only when ok().
struct JwtVerification {
  std::optional<JwtFailure> failure;
  nlohmann::json header;
  nlohmann::json claims;

  /// True when the token verified and its time claims hold.
  bool ok() const { return !failure.has_value(); }
};

/// Signs `claims` (a JSON object) as a compact JWS. The header is
/// `header_extra` (an object, or null) plus "alg" (always `algorithm`),
/// "typ":"JWT" unless given, and "kid" defaulting to the RFC 7638 thumbprint
/// of the key. Throws CryptoError if the key does not fit `algorithm`, if
/// `header_extra` sets a different "alg" or a "crit", or if the JSON cannot
/// be serialised (e.g. invalid UTF-8).
std::string sign_jwt(const nlohmann::json& header_extra, const nlohmann::json& claims, const EVP_PKEY& private_key,
                     Algorithm algorithm);

/// Verifies a compact JWS against `public_key`, whose type alone decides the
/// accepted "alg" (so neither "none" nor an HMAC/RSA confusion can pass),
/// then checks exp and nbf (when present) against `now`. Never throws for a
/// bad token; throws CryptoError only if `public_key` is of an unsupported type.
JwtVerification verify_jwt(std::string_view token, const EVP_PKEY& public_key,
                           std::chrono::system_clock::time_point now, const JwtVerifyOptions& options = {});

/// Decodes header and claims without checking anything but the structure,
/// e.g. to read "kid" before choosing the verifying key. Throws CryptoError
/// (without token content) if the token is malformed.
DecodedJwt decode_jwt_unverified(std::string_view token);

}  // namespace rotator::crypto
