#pragma once

#include <openssl/evp.h>

#include <array>
#include <optional>
#include <string>

#include "crypto/algorithm.h"
#include "crypto/openssl_handles.h"

namespace rotator::crypto {

/// RSA modulus sizes accepted for new RS256 keys.
inline constexpr std::array<int, 3> supported_rsa_bits{2048, 3072, 4096};

/// RSA modulus size used when the caller does not choose one.
inline constexpr int default_rsa_bits = 2048;

/// A newly generated key: the private key (which carries its public half)
/// and the algorithm it is meant for.
struct KeyPair {
  Algorithm algorithm;
  PkeyHandle private_key;
};

/// What a key is, in terms an operator recognises.
struct KeyDescription {
  Algorithm algorithm;
  int bits;  ///< RSA modulus size; 256 for P-256 and Ed25519
};

/// Generates a key for `algorithm`: RSA for RS256 (`rsa_bits` must be one of
/// supported_rsa_bits, default default_rsa_bits), P-256 for ES256, Ed25519
/// for EdDSA. Passing `rsa_bits` for ES256 or EdDSA is an error, since those
/// sizes are fixed. Throws CryptoError.
KeyPair generate_key(Algorithm algorithm, std::optional<int> rsa_bits = std::nullopt);

/// Identifies the algorithm and size of a public or private key. Throws
/// CryptoError for key types rotator does not support (DSA, RSA-PSS, P-384,
/// Ed448, ...).
KeyDescription describe_key(const EVP_PKEY& key);

/// Human-readable description, e.g. "RS256 (RSA 3072 bits)".
std::string to_string(const KeyDescription& description);

/// A new key object holding only the public half of `key`, safe to hand to
/// code that must never see private material.
PkeyHandle public_key_of(const EVP_PKEY& key);

/// True when `public_key` is the public half of `private_key` (same type and
/// same public components). Mismatched types compare unequal, not as errors.
bool public_matches_private(const EVP_PKEY& public_key, const EVP_PKEY& private_key);

}  // namespace rotator::crypto
