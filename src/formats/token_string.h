#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/secret.h"

namespace rotator::formats {

/// The two kinds of token rotator keeps in a registry Secret.
enum class TokenKind { management, database };

/// "management" or "database", as messages, JSON and Events name the kind.
std::string_view kind_name(TokenKind kind);

/// The default name of the kind's registry Secret: management-tokens, database-tokens.
std::string_view default_registry_secret(TokenKind kind);

/// Random bytes behind every token: 256 bits from OpenSSL's CSPRNG.
inline constexpr std::size_t token_random_bytes = 32;

/// A freshly generated token: the string (shown once, never stored) and what the
/// registry keeps about it.
struct GeneratedToken {
  crypto::SecretString token;  ///< "M.V1.<base64url>" or "apiv1_<base64url>"
  std::string prefix;          ///< short display prefix, e.g. "M.V1.q3Zx"
  std::string sha512_hex;      ///< SHA-512 of the whole token string
};

/// Makes a new token of `kind`. Throws CryptoError if the RNG fails.
GeneratedToken generate_token(TokenKind kind);

/// The kind of a token string, or nullopt when it has neither shape (e.g. an
/// admin JWT, or garbage). Checks the prefix and that the rest is base64url of
/// exactly 32 bytes.
std::optional<TokenKind> classify_token(std::string_view token);

/// The display prefix of a token string: its kind prefix plus 4 characters.
std::string display_prefix(std::string_view token);

/// SHA-512 of the token string as 128 lowercase hex digits: what the registry stores.
std::string token_hash(std::string_view token);

/// Compares two hashes in constant time (CRYPTO_memcmp); false when lengths differ.
bool hashes_equal(std::string_view a, std::string_view b);

}  // namespace rotator::formats
