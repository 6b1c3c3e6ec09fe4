#pragma once

#include <optional>
#include <string_view>

namespace rotator::crypto {

/// The JWS signing algorithms rotator issues and accepts. Each is tied to one
/// key type, so a key alone determines the algorithm.
enum class Algorithm {
  rs256,  ///< RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048/3072/4096
  es256,  ///< ECDSA on P-256 with SHA-256, raw R||S signatures
  eddsa,  ///< Ed25519
};

/// The JOSE "alg" value: "RS256", "ES256" or "EdDSA".
std::string_view jose_name(Algorithm algorithm);

/// Parses a JOSE "alg" value; case-sensitive as RFC 7515 requires. Returns
/// nullopt for anything else, including "none" and the HMAC algorithms.
std::optional<Algorithm> algorithm_from_jose_name(std::string_view name);

}  // namespace rotator::crypto
