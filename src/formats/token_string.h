#pragma once

#include <cstddef>
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

/// What a token string starts with: "M.V1." (management) or "apiv1_" (database).
std::string_view token_prefix_of(TokenKind kind);

// Token shapes (contract; ../shared/influxctl.md has the documented ones).
//
// Current, issued since registry schemaVersion 2: the kind's prefix and 64
// characters encoding 48 random bytes (384 bits from OpenSSL's CSPRNG):
//   management: "M.V1."  + 64 characters of standard base64 (A-Z a-z 0-9 + /), as
//               influxctl's shown prefixes (M.V1.+5Jk) use that alphabet;
//   database:   "apiv1_" + 64 characters of base64url (A-Z a-z 0-9 - _), the
//               Management API's minimum (minLength 64, examples apiv1_ + 64).
// 48 bytes encode to exactly 64 characters, so there is never '=' padding.
//
// Legacy, issued before: the prefix and 43 base64url characters encoding 32
// random bytes. They still classify, verify (the registry keeps the hash of the
// whole string) and can be revoked; they are never issued again.
inline constexpr std::size_t token_random_bytes = 48;
inline constexpr std::size_t token_body_characters = 64;
inline constexpr std::size_t legacy_token_random_bytes = 32;
inline constexpr std::size_t legacy_token_body_characters = 43;

/// Whether a token string has the current or the legacy shape.
enum class TokenShape { current, legacy };

/// A freshly generated token: the string (shown once, never stored) and what the
/// registry keeps about it.
struct GeneratedToken {
  crypto::SecretString token;  ///< "M.V1.<64 base64>" or "apiv1_<64 base64url>"
  std::string prefix;          ///< short display prefix, e.g. "M.V1.+5Jk"
  std::string sha512_hex;      ///< SHA-512 of the whole token string
};

/// Makes a new token of `kind` in the current shape. Throws CryptoError if the RNG fails.
GeneratedToken generate_token(TokenKind kind);

/// The kind and shape of a token string.
struct TokenClass {
  TokenKind kind;
  TokenShape shape;
};

/// The kind and shape of a token string, or nullopt when it has none of the
/// shapes above (e.g. an admin JWT, a truncated token, or garbage). Checks the
/// prefix, the length, the alphabet, and that the body decodes to the right
/// number of bytes.
std::optional<TokenClass> classify_token_shape(std::string_view token);

/// The kind of a token string (current or legacy shape), or nullopt.
std::optional<TokenKind> classify_token(std::string_view token);

/// The display prefix of a token string: its kind prefix plus 4 characters
/// ("M.V1.+5Jk", "apiv1_6PCo"), what influxctl shows as PREFIX; "" for others.
std::string display_prefix(std::string_view token);

/// SHA-512 of the token string as 128 lowercase hex digits: what the registry stores.
std::string token_hash(std::string_view token);

/// Compares two hashes in constant time (CRYPTO_memcmp); false when lengths differ.
bool hashes_equal(std::string_view a, std::string_view b);

}  // namespace rotator::formats
