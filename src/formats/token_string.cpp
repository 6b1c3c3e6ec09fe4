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

std::string_view prefix_of(TokenKind kind) {
  return kind == TokenKind::management ? management_prefix : database_prefix;
}

}  // namespace

std::string_view kind_name(TokenKind kind) {
  return kind == TokenKind::management ? "management" : "database";
}

std::string_view default_registry_secret(TokenKind kind) {
  return kind == TokenKind::management ? "management-tokens" : "database-tokens";
}

GeneratedToken generate_token(TokenKind kind) {
  const crypto::SecretString random = crypto::random_bytes(token_random_bytes);
  std::string text(prefix_of(kind));
  text += util::base64url_encode(random.view());
  GeneratedToken generated;
  generated.prefix = display_prefix(text);
  generated.sha512_hex = token_hash(text);
  generated.token = crypto::SecretString(std::move(text));
  return generated;
}

std::optional<TokenKind> classify_token(std::string_view token) {
  for (const TokenKind kind : {TokenKind::management, TokenKind::database}) {
    const std::string_view prefix = prefix_of(kind);
    if (!token.starts_with(prefix)) continue;
    const std::string_view body = token.substr(prefix.size());
    // base64url without padding of 32 bytes is 43 characters.
    if (body.size() != 43 || body.find('=') != std::string_view::npos) return std::nullopt;
    auto decoded = util::base64url_decode(body);
    if (!decoded || decoded->size() != token_random_bytes) return std::nullopt;
    OPENSSL_cleanse(decoded->data(), decoded->size());
    return kind;
  }
  return std::nullopt;
}

std::string display_prefix(std::string_view token) {
  for (const TokenKind kind : {TokenKind::management, TokenKind::database}) {
    const std::string_view prefix = prefix_of(kind);
    if (token.starts_with(prefix)) {
      return std::string(token.substr(0, prefix.size() + shown_characters));
    }
  }
  return {};
}

std::string token_hash(std::string_view token) { return crypto::sha512_hex(token); }

bool hashes_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace rotator::formats
