#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "crypto/random.h"
#include "formats/registry.h"
#include "formats/token_string.h"
#include "tokens/registry_store.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::formats;
using rotator::tokens::check_capacity;
using rotator::tokens::RegistryLocation;

namespace {

util::TimePoint at(const char* text) { return *util::parse_rfc3339(text); }

TokenRecord sample_record(const std::string& description = "ci pipeline") {
  const auto generated = generate_token(TokenKind::database);
  TokenRecord r;
  r.id = crypto::uuid_v4();
  r.description = description;
  r.permissions = {{"read", "telemetry"}, {"write", "*"}};
  r.created_at = at("2026-01-01T00:00:00Z");
  r.expires_at = at("2026-02-01T00:00:00Z");
  r.created_by = "system:serviceaccount:influxdb:rotator";
  r.prefix = generated.prefix;
  r.sha512 = generated.sha512_hex;
  return r;
}

}  // namespace

TEST_CASE("tokens registry: records round-trip through the stored JSON", "[formats][tokens]") {
  Registry registry{TokenKind::database, {sample_record("a"), sample_record("b")}};
  registry.records[1].expires_at.reset();
  registry.records[1].revoked_at = at("2026-01-05T10:00:00Z");
  registry.records[1].permissions.clear();
  registry.records[1].renewal_secret = "automation";
  const std::string text = serialize_registry(registry);
  CHECK_THAT(text, Catch::StartsWith(R"({"kind":"database","schemaVersion":1,"tokens":[)"));
  const Registry back = parse_registry(text, TokenKind::database);
  REQUIRE(back.records.size() == 2);
  CHECK(back.records[0] == registry.records[0]);
  CHECK(back.records[1] == registry.records[1]);
}

TEST_CASE("tokens registry: anything unreadable is InvalidDataError, never a silent empty registry", "[formats][tokens]") {
  const std::string good = serialize_registry({TokenKind::management, {sample_record()}});
  CHECK_THROWS_AS(parse_registry("not json", TokenKind::management), InvalidDataError);
  CHECK_THROWS_AS(parse_registry("[]", TokenKind::management), InvalidDataError);
  CHECK_THROWS_AS(parse_registry(good, TokenKind::database), InvalidDataError);  // wrong kind
  std::string numeric_kind = good;
  numeric_kind.replace(numeric_kind.find("\"management\""), 12, "7");
  CHECK_THROWS_AS(parse_registry(numeric_kind, TokenKind::management), InvalidDataError);
  std::string far_expiry = good;  // found by registry_fuzz: a time past 2261 overflowed
  far_expiry.replace(far_expiry.find("2026-01-01T00:00:00Z"), 20, "9999-12-31T23:59:59Z");
  CHECK_THROWS_AS(parse_registry(far_expiry, TokenKind::management), InvalidDataError);
  std::string newer = good;
  newer.replace(newer.find("\"schemaVersion\":1"), 17, "\"schemaVersion\":2");
  CHECK_THROWS_WITH(parse_registry(newer, TokenKind::management), Catch::Contains("schemaVersion 2"));
  std::string bad_hash = good;
  bad_hash.replace(bad_hash.find("\"sha512\":\"") + 10, 4, "XYZW");
  CHECK_THROWS_AS(parse_registry(bad_hash, TokenKind::management), InvalidDataError);
  std::string bad_time = good;
  bad_time.replace(bad_time.find("2026-01-01T00:00:00Z"), 20, "yesterday");
  CHECK_THROWS_AS(parse_registry(bad_time, TokenKind::management), InvalidDataError);
  Registry twice{TokenKind::management, {sample_record(), sample_record()}};
  twice.records[1].id = twice.records[0].id;
  CHECK_THROWS_WITH(parse_registry(serialize_registry(twice), TokenKind::management), Catch::Contains("twice"));
}

TEST_CASE("tokens registry: the record never holds the token, only its hash and prefix", "[formats][tokens]") {
  const auto generated = generate_token(TokenKind::management);
  TokenRecord r = sample_record();
  r.sha512 = generated.sha512_hex;
  r.prefix = generated.prefix;
  const std::string text = serialize_registry({TokenKind::management, {r}});
  const std::string token(generated.token.view());
  CHECK(text.find(token) == std::string::npos);
  CHECK(text.find(token.substr(5)) == std::string::npos);
  CHECK(text.find(generated.sha512_hex) != std::string::npos);
}

TEST_CASE("tokens registry: revoke_ids reports each id and keeps the first revocation time", "[formats][tokens]") {
  Registry registry{TokenKind::management, {sample_record("a"), sample_record("b")}};
  const std::string a = registry.records[0].id, b = registry.records[1].id;
  auto results = revoke_ids(registry, {a, "no-such-id"}, at("2026-01-10T00:00:00.700Z"));
  REQUIRE(results.size() == 2);
  CHECK(results[0].outcome == RevokeOutcome::revoked);
  CHECK(results[0].revoked_at == at("2026-01-10T00:00:00Z"));
  CHECK(results[1].outcome == RevokeOutcome::not_found);
  CHECK(any_revoked(results));
  results = revoke_ids(registry, {a, b}, at("2026-01-11T00:00:00Z"));
  CHECK(results[0].outcome == RevokeOutcome::already_revoked);
  CHECK(results[0].revoked_at == at("2026-01-10T00:00:00Z"));
  CHECK(results[1].outcome == RevokeOutcome::revoked);
  CHECK_FALSE(any_revoked(revoke_ids(registry, {a, b}, at("2026-01-12T00:00:00Z"))));
  CHECK(state_at(registry.records[0], at("2026-01-12T00:00:00Z")) == TokenState::revoked);
}

TEST_CASE("tokens registry: states at a given time", "[formats][tokens]") {
  TokenRecord r = sample_record();
  CHECK(state_at(r, at("2026-01-31T23:59:59Z")) == TokenState::active);
  CHECK(state_at(r, at("2026-02-01T00:00:00Z")) == TokenState::expired);
  r.expires_at.reset();
  CHECK(state_at(r, at("2099-01-01T00:00:00Z")) == TokenState::active);
  r.revoked_at = at("2026-01-02T00:00:00Z");
  CHECK(state_at(r, at("2026-01-03T00:00:00Z")) == TokenState::revoked);
}

TEST_CASE("tokens registry: descriptions are required, bounded and printable", "[formats][tokens]") {
  CHECK_NOTHROW(validate_description("CI pipeline for telemetry"));
  CHECK_THROWS_AS(validate_description(""), UsageError);
  CHECK_THROWS_AS(validate_description("   "), UsageError);
  CHECK_THROWS_AS(validate_description("two\nlines"), UsageError);
  CHECK_NOTHROW(validate_description(std::string(max_description_bytes, 'x')));
  CHECK_THROWS_AS(validate_description(std::string(max_description_bytes + 1, 'x')), UsageError);
}

TEST_CASE("tokens registry: capacity of one Secret, measured, and a clear error past it", "[formats][tokens]") {
  // A typical record: short description, one permission, expiry, an identity.
  Registry registry{TokenKind::database, {}};
  const std::size_t empty = serialize_registry(registry).size();
  registry.records.push_back(sample_record("grafana dashboards"));
  const std::size_t typical = serialize_registry(registry).size() - empty;
  // Worst case: the longest description.
  Registry worst{TokenKind::database, {sample_record(std::string(max_description_bytes, 'x'))}};
  const std::size_t largest = serialize_registry(worst).size() - empty;
  WARN("record bytes: typical " << typical << ", with a " << max_description_bytes << "-byte description "
                                << largest << "; tokens per Secret: typical " << max_secret_data_bytes / (typical + 1)
                                << ", worst " << max_secret_data_bytes / (largest + 1));
  CHECK(typical < 520);
  CHECK(max_secret_data_bytes / (largest + 1) > 1000);

  const RegistryLocation where{"ns", "database-tokens", TokenKind::database};
  // Records of one description all have the same size: n of them take
  // empty + n * typical + (n - 1) separating commas.
  const std::size_t fits = (max_secret_data_bytes - empty + 1) / (typical + 1);
  Registry full{TokenKind::database, std::vector<TokenRecord>(fits, registry.records.front())};
  CHECK(serialize_registry(full).size() <= max_secret_data_bytes);
  CHECK_NOTHROW(check_capacity(full, where));
  full.records.push_back(registry.records.front());
  CHECK(serialize_registry(full).size() > max_secret_data_bytes);
  CHECK_THROWS_WITH(check_capacity(full, where), Catch::Contains("is full") && Catch::Contains("nothing was written"));
}
