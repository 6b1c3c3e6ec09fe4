#pragma once

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/openssl_handles.h"

namespace rotator::crypto {

/// The public JWK (RFC 7517/7518) of `key`: kty "RSA" with n/e, kty "EC"
/// with crv "P-256"/x/y, or kty "OKP" with crv "Ed25519"/x; plus "alg",
/// "use":"sig" and, unless `kid` is empty, "kid". Private members are never
/// included, even when `key` is a private key. Throws CryptoError for
/// unsupported key types.
nlohmann::json public_jwk(const EVP_PKEY& key, std::string_view kid);

/// RFC 7638 thumbprint: SHA-256 over the required members in lexicographic
/// order without whitespace, base64url without padding. Uses the member
/// strings exactly as given. Throws CryptoError for an unsupported "kty" or a
/// missing or non-string required member.
std::string jwk_thumbprint(const nlohmann::json& jwk);

/// RFC 7638 thumbprint of the public half of `key`; a stable key id.
/// (Not an overload of jwk_thumbprint: json converts implicitly to almost
/// anything, which would make such an overload set ambiguous.)
std::string key_thumbprint(const EVP_PKEY& key);

/// How much of a public key to check. The provider's public-key check is costly
/// for RSA (a primality test of the modulus); a caller that compares the key with
/// a private key it already holds may skip it, since equality proves more.
/// quick: the provider's check, but for RSA only its cheap part (odd modulus, odd
/// exponent with 2^16 < e < 2^256), for a key whose modulus is proven otherwise
/// to be one rotator generated.
enum class KeyCheck { full, quick, skip_provider_check };

/// Rebuilds the public key a JWK describes, checking every required member
/// (base64url without padding, exact coordinate lengths, point on the curve).
/// Throws CryptoError naming the offending member.
PkeyHandle public_key_from_jwk(const nlohmann::json& jwk, KeyCheck check = KeyCheck::full);

/// A JWK Set document: {"keys":[...]} in the given order.
nlohmann::json make_jwk_set(const std::vector<nlohmann::json>& keys);

/// Parses and validates a JWK Set document. Every entry must be a usable
/// public signing key (see public_key_from_jwk) with no private members,
/// "use" (if present) "sig", "alg" (if present) matching the key type, and a
/// string "kid" (if present) unique within the set. Throws CryptoError for
/// invalid or truncated JSON and for any invalid entry.
/// With KeyCheck::skip_provider_check the caller checks each key itself.
std::vector<nlohmann::json> parse_jwk_set(std::string_view json_text, KeyCheck check = KeyCheck::full);

/// The entry whose "kid" equals `kid`, or nullptr.
const nlohmann::json* find_jwk(const std::vector<nlohmann::json>& keys, std::string_view kid);

}  // namespace rotator::crypto
