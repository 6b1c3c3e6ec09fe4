#include <catch2/catch.hpp>

#include "crypto/random.h"
#include "formats/token_verdict.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::formats;
using namespace std::chrono_literals;

namespace {

const util::TimePoint now = *util::parse_rfc3339("2026-03-01T12:00:00Z");

struct Issued {
  std::string token;
  TokenRecord record;
};

Issued issue(TokenKind kind, std::optional<util::TimePoint> expires = std::nullopt) {
  auto generated = generate_token(kind);
  Issued issued{std::string(generated.token.view()), {}};
  issued.record.id = crypto::uuid_v4();
  issued.record.description = "test";
  issued.record.created_at = now - 1h;
  issued.record.expires_at = expires;
  issued.record.prefix = generated.prefix;
  issued.record.sha512 = generated.sha512_hex;
  return issued;
}

}  // namespace

TEST_CASE("verify: valid, unknown, revoked and expired, with the id", "[tokens][verify]") {
  const auto valid = issue(TokenKind::management, now + 1h);
  auto revoked = issue(TokenKind::management);
  revoked.record.revoked_at = now - 1min;
  const auto expired = issue(TokenKind::management, now - 1s);
  const auto stranger = issue(TokenKind::management);
  const Registry registry{TokenKind::management, {valid.record, revoked.record, expired.record}};

  auto v = verify_against_registry(registry, valid.token, now);
  CHECK(v.valid());
  CHECK(v.kind == TokenKind::management);
  CHECK(v.id == valid.record.id);
  CHECK(v.reason() == "valid until 2026-03-01T13:00:00Z");

  v = verify_against_registry(registry, revoked.token, now);
  CHECK(v.status == TokenVerification::Status::revoked);
  CHECK(v.id == revoked.record.id);
  CHECK_THAT(v.reason(), Catch::StartsWith("revoked at 2026-03-01T11:59:00Z"));

  v = verify_against_registry(registry, expired.token, now);
  CHECK(v.status == TokenVerification::Status::expired);
  CHECK(v.id == expired.record.id);

  v = verify_against_registry(registry, stranger.token, now);
  CHECK(v.status == TokenVerification::Status::unknown);
  CHECK(v.id.empty());
  CHECK_FALSE(v.valid());
  CHECK(status_name(v.status) == "unknown");
}

TEST_CASE("verify: the reason never carries the token", "[tokens][verify]") {
  const auto valid = issue(TokenKind::database);
  const Registry registry{TokenKind::database, {valid.record}};
  const auto v = verify_against_registry(registry, valid.token, now);
  CHECK(v.valid());
  CHECK(v.reason() == "valid (does not expire)");
  CHECK(v.reason().find(valid.token.substr(6)) == std::string::npos);
}

TEST_CASE("verify: strings that are not registry tokens are left to other verifiers (no registry is read)",
          "[tokens][verify]") {
  // `rotator verify` reads a registry only for a string classify_token recognises.
  CHECK_FALSE(classify_token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").has_value());
  CHECK_FALSE(classify_token("").has_value());
  CHECK_FALSE(classify_token("M.V1.short").has_value());
}

TEST_CASE("verify: tokens issued before schemaVersion 2 (43 base64url characters) verify and revoke as before",
          "[tokens][verify]") {
  for (const TokenKind kind : {TokenKind::management, TokenKind::database}) {
    CAPTURE(kind_name(kind));
    // What generate_token made before the change: 32 random bytes, base64url.
    const std::string legacy =
        std::string(formats::token_prefix_of(kind)) + util::base64url_encode(crypto::random_bytes(32).view());
    REQUIRE(formats::classify_token_shape(legacy)->shape == formats::TokenShape::legacy);
    auto issued = issue(kind);
    issued.record.sha512 = token_hash(legacy);
    issued.record.prefix = display_prefix(legacy);
    Registry registry{kind, {issued.record, issue(kind).record}};
    // The registry round-trips through the schemaVersion 2 format with it.
    registry = parse_registry(serialize_registry(registry), kind);
    auto v = verify_against_registry(registry, legacy, now);
    CHECK(v.valid());
    CHECK(v.id == issued.record.id);
    const auto results = revoke_ids(registry, {issued.record.id}, now);
    REQUIRE(results.size() == 1);
    CHECK(results[0].outcome == RevokeOutcome::revoked);
    v = verify_against_registry(registry, legacy, now + 1s);
    CHECK(v.status == TokenVerification::Status::revoked);
  }
}
