#include "formats/token_string.h"

#include <openssl/crypto.h>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/base64.h"

namespace rotator::formats {
namespace {

constexpr std::string_view management_prefix = "M.V1.";
constexpr std::string_view database_prefix = "apiv1_";
constexpr std::size_t shown_characters = 4;

/// Encodes the random bytes of a new token in its kind's alphabet.
std::string encode_body(TokenKind kind, std::string_view random) {
  return kind == TokenKind::management ? util::base64_encode(random) : util::base64url_encode(random);
}

std::optional<TokenShape> shape_of_body(TokenKind kind, std::string_view body) {
  if (body.find('=') != std::string_view::npos) return std::nullopt;  // neither shape is padded
  if (body.size() == token_body_characters) {
    std::optional<std::string> decoded =
        kind == TokenKind::management ? util::base64_decode(body) : util::base64url_decode(body);
    const bool ok = decoded && decoded->size() == token_random_bytes;
    if (decoded) OPENSSL_cleanse(decoded->data(), decoded->size());
    return ok ? std::optional(TokenShape::current) : std::nullopt;
  }
  if (body.size() == legacy_token_body_characters) {
    std::optional<std::string> decoded = util::base64url_decode(body);
    const bool ok = decoded && decoded->size() == legacy_token_random_bytes;
    if (decoded) OPENSSL_cleanse(decoded->data(), decoded->size());
    return ok ? std::optional(TokenShape::legacy) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string_view kind_name(TokenKind kind) {
  return kind == TokenKind::management ? "management" : "database";
}

std::string_view default_registry_secret(TokenKind kind) {
  return kind == TokenKind::management ? "management-tokens" : "database-tokens";
}

std::string_view token_prefix_of(TokenKind kind) {
  return kind == TokenKind::management ? management_prefix : database_prefix;
}

GeneratedToken generate_token(TokenKind kind) {
  const crypto::SecretString random = crypto::random_bytes(token_random_bytes);
  std::string text(token_prefix_of(kind));
  std::string body = encode_body(kind, random.view());
  text += body;
  OPENSSL_cleanse(body.data(), body.size());
  GeneratedToken generated;
  generated.prefix = display_prefix(text);
  generated.sha512_hex = token_hash(text);
  generated.token = crypto::SecretString(std::move(text));
  return generated;
}

std::optional<TokenClass> classify_token_shape(std::string_view token) {
  for (const TokenKind kind : {TokenKind::management, TokenKind::database}) {
    const std::string_view prefix = token_prefix_of(kind);
    if (!token.starts_with(prefix)) continue;
    const auto shape = shape_of_body(kind, token.substr(prefix.size()));
    if (!shape) return std::nullopt;
    return TokenClass{kind, *shape};
  }
  return std::nullopt;
}

std::optional<TokenKind> classify_token(std::string_view token) {
  const auto found = classify_token_shape(token);
  return found ? std::optional(found->kind) : std::nullopt;
}

std::string display_prefix(std::string_view token) {
  for (const TokenKind kind : {TokenKind::management, TokenKind::database}) {
    const std::string_view prefix = token_prefix_of(kind);
    if (token.starts_with(prefix)) return std::string(token.substr(0, prefix.size() + shown_characters));
  }
  return {};
}

std::string token_hash(std::string_view token) {
  return crypto::sha512_hex(token);
}

bool hashes_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace rotator::formats
