#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "crypto/random.h"
#include "formats/registry.h"
#include "formats/token_string.h"
#include "steps/token_registry.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::formats;

namespace {

util::TimePoint at(const char* text) {
  return *util::parse_rfc3339(text);
}

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
  CHECK_THAT(text, Catch::StartsWith(R"({"kind":"database","schemaVersion":2,"tokens":[)"));
  CHECK_THAT(
      text,
      Catch::Contains(R"("permissions":[{"action":"read","resource":"telemetry"},{"action":"write","resource":"*"}])"));
  const Registry back = parse_registry(text, TokenKind::database);
  REQUIRE(back.records.size() == 2);
  CHECK(back.records[0] == registry.records[0]);
  CHECK(back.records[1] == registry.records[1]);
}

TEST_CASE("tokens registry: anything unreadable is InvalidDataError, never a silent empty registry",
          "[formats][tokens]") {
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
  for (const char* version : {"3", "0", "-1", "18446744073709551617", "4294967298", "2.0", "\"2\""}) {
    CAPTURE(version);
    std::string other = good;
    other.replace(other.find("\"schemaVersion\":2") + 16, 1, version);
    CHECK_THROWS_AS(parse_registry(other, TokenKind::management), InvalidDataError);
  }
  std::string newer = good;
  newer.replace(newer.find("\"schemaVersion\":2"), 17, "\"schemaVersion\":3");
  CHECK_THROWS_WITH(parse_registry(newer, TokenKind::management), Catch::Contains("schemaVersion 3"));
  std::string bad_hash = good;
  bad_hash.replace(bad_hash.find("\"sha512\":\"") + 10, 4, "XYZW");
  CHECK_THROWS_AS(parse_registry(bad_hash, TokenKind::management), InvalidDataError);
  std::string bad_time = good;
  bad_time.replace(bad_time.find("2026-01-01T00:00:00Z"), 20, "yesterday");
  CHECK_THROWS_AS(parse_registry(bad_time, TokenKind::management), InvalidDataError);
  Registry twice{TokenKind::management, {sample_record(), sample_record()}};
  twice.records[1].id = twice.records[0].id;
  CHECK_THROWS_WITH(parse_registry(serialize_registry(twice), TokenKind::management), Catch::Contains("same id"));
  std::string unknown_field = good;
  unknown_field.replace(unknown_field.find("\"prefix\""), 0, "\"owner\":\"x\",");
  CHECK_THROWS_WITH(parse_registry(unknown_field, TokenKind::management),
                    Catch::Contains("a field rotator does not know") && Catch::Contains("owner"));
  std::string unknown_top = good;
  unknown_top.replace(1, 0, "\"comment\":\"x\",");
  CHECK_THROWS_AS(parse_registry(unknown_top, TokenKind::management), InvalidDataError);
  std::string bad_utf8 = good;
  bad_utf8.replace(bad_utf8.find("ci pipeline"), 2, "\xff\xfe");
  CHECK_THROWS_WITH(parse_registry(bad_utf8, TokenKind::management), Catch::Contains("not valid JSON"));
}

namespace {

// A database registry as schemaVersion 1 wrote it (rotator before permissions
// took the Management API's names), kept as it was stored.
const std::string schema_v1_database =
    R"({"kind":"database","schemaVersion":1,"tokens":[)"
    R"({"created_at":"2026-11-22T08:19:28Z","created_by":"context admin","description":"seed db token",)"
    R"("expires_at":null,"id":"133c8503-e265-4204-a3a2-9d0b3c1a1e5c",)"
    R"("permissions":[{"action":"read","database":"*"},{"action":"write","database":"telemetry"}],)"
    R"("prefix":"apiv1_6Tpi","revoked_at":null,)"
    R"("sha512":"086fba357b61292d69e75e025c880114afc32fa93a3b8ceb34c3eed96d21d896e0735ef0609608a5be661825a8da06f6c50feeaa9e930655440794387c8fdc2e"}]})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("formats registry: schemaVersion 1 is read and written back as 2", "[formats][tokens]") {
  const Registry v1 = parse_registry(schema_v1_database, TokenKind::database);
  CHECK(v1.read_schema_version == 1);
  REQUIRE(v1.records.size() == 1);
  CHECK(v1.records[0].permissions == std::vector<Permission>{{"read", "*"}, {"write", "telemetry"}});
  const std::string migrated = serialize_registry(v1);
  CHECK_THAT(migrated,
             Catch::Contains(R"("schemaVersion":2)") &&
                 Catch::Contains(R"({"action":"read","resource":"*"},{"action":"write","resource":"telemetry"})"));
  CHECK(migrated.find("\"database\":") == std::string::npos);
  const Registry v2 = parse_registry(migrated, TokenKind::database);
  CHECK(v2.read_schema_version == 2);
  CHECK(v2.records == v1.records);
  CHECK(serialize_registry(v2) == migrated);
}

TEST_CASE("formats registry: a permission must have the fields of its schemaVersion", "[formats][tokens]") {
  const std::string v2 = serialize_registry(parse_registry(schema_v1_database, TokenKind::database));
  struct Case {
    const char* why;
    std::string text;
  };
  const std::vector<Case> refused = {
      {"v1 with v2's resource", replaced(schema_v1_database, R"("database":"*")", R"("resource":"*")")},
      {"v2 with v1's database", replaced(v2, R"("resource":"*")", R"("database":"*")")},
      {"both names", replaced(v2, R"("resource":"*")", R"("resource":"*","database":"*")")},
      {"another action", replaced(v2, R"("action":"read")", R"("action":"admin")")},
      {"an empty resource", replaced(v2, R"("resource":"*")", R"("resource":"")")},
      {"a number for resource", replaced(v2, R"("resource":"*")", R"("resource":7)")},
      {"no action", replaced(v2, R"({"action":"read","resource":"*"})", R"({"resource":"*"})")},
      {"a list for a permission", replaced(v2, R"({"action":"read","resource":"*"})", R"(["read","*"])")},
  };
  for (const auto& c : refused) {
    CAPTURE(c.why);
    CHECK_THROWS_WITH(parse_registry(c.text, TokenKind::database), Catch::Contains("malformed permission"));
  }
}

TEST_CASE("formats registry: duplicate hashes or keys are invalid data, never a second opinion on revocation",
          "[formats][tokens][security]") {
  TokenRecord revoked = sample_record("leaked");
  revoked.revoked_at = at("2026-01-10T00:00:00Z");
  const std::string good = serialize_registry({TokenKind::database, {revoked}});
  REQUIRE(parse_registry(good, TokenKind::database).records.at(0).revoked_at);

  // A planted copy of the record, not revoked, under another id.
  TokenRecord planted = revoked;
  planted.id = crypto::uuid_v4();
  planted.revoked_at.reset();
  for (const auto& order : {std::vector<TokenRecord>{revoked, planted}, std::vector<TokenRecord>{planted, revoked}}) {
    CHECK_THROWS_WITH(parse_registry(serialize_registry({TokenKind::database, order}), TokenKind::database),
                      Catch::Contains("same sha512"));
  }
  // A second "revoked_at" key in the record: nlohmann alone would keep the last (null).
  const std::string two_keys = replaced(good, R"("revoked_at":"2026-01-10T00:00:00Z")",
                                        R"("revoked_at":"2026-01-10T00:00:00Z","revoked_at":null)");
  CHECK_THROWS_WITH(parse_registry(two_keys, TokenKind::database),
                    Catch::Contains("\"revoked_at\" appears twice") && Catch::Contains("cannot be read"));
  struct Case {
    const char* why;
    std::string text;
  };
  const std::vector<Case> duplicated = {
      {"sha512 twice", replaced(good, R"("sha512":)", R"("sha512":"00","sha512":)")},
      {"tokens twice", replaced(good, R"("tokens":)", R"("tokens":[],"tokens":)")},
      {"kind twice", replaced(good, R"("kind":"database")", R"("kind":"management","kind":"database")")},
      {"in a permission", replaced(good, R"("action":"read")", R"("action":"write","action":"read")")},
      {"schemaVersion twice", replaced(good, R"("schemaVersion":2)", R"("schemaVersion":2,"schemaVersion":2)")},
  };
  for (const auto& c : duplicated) {
    CAPTURE(c.why);
    CHECK_THROWS_WITH(parse_registry(c.text, TokenKind::database), Catch::Contains("appears twice"));
  }
  // find_by_hash never picks one of two matching records built in memory either.
  const Registry both{TokenKind::database, {revoked, planted}};
  CHECK_THROWS_AS(find_by_hash(both, revoked.sha512), InvalidDataError);
  CHECK(find_by_hash(Registry{TokenKind::database, {revoked}}, revoked.sha512)->id == revoked.id);
}

TEST_CASE("formats registry: a description with control characters is kept as data", "[formats][tokens]") {
  TokenRecord r = sample_record();
  r.description = "evil\x1b[2J\nforged row\t\u202e";  // as a hand edit could have left it
  const std::string text = serialize_registry({TokenKind::database, {r}});
  CHECK(text.find('\x1b') == std::string::npos);  // JSON escapes it in storage
  const Registry back = parse_registry(text, TokenKind::database);
  CHECK(back.records.at(0).description == r.description);
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
  CHECK_NOTHROW(validate_description("Grüße, 日本"));
  // Not UTF-8: JSON cannot hold it, so it is refused before anything is created.
  CHECK_THROWS_WITH(validate_description("caf\xe9"), Catch::Contains("UTF-8"));
  CHECK_THROWS_AS(validate_description("esc \x1b[31m"), UsageError);
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
  WARN("record bytes: typical " << typical << ", with a " << max_description_bytes << "-byte description " << largest
                                << "; tokens per Secret: typical " << max_secret_data_bytes / (typical + 1)
                                << ", worst " << max_secret_data_bytes / (largest + 1));
  CHECK(typical < 520);
  CHECK(max_secret_data_bytes / (largest + 1) > 1000);

  // A registry past one Secret's size is refused before it is written.
  const rotator::steps::RegistryRef where{"database-tokens", TokenKind::database, rotator::steps::Force::no};
  const auto seen = rotator::testing::snapshot_of({{"database-tokens", std::nullopt}});
  const auto check_capacity = [&](const Registry& r, const rotator::steps::RegistryRef& ref) {
    return rotator::steps::registry_change(seen, ref, r);
  };
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

TEST_CASE("tokens registry: an ID on the command line is a full id or an unambiguous start of one",
          "[formats][tokens]") {
  Registry registry{TokenKind::database, {sample_record("a"), sample_record("b"), sample_record("c")}};
  registry.records[0].id = "3f0c9a2e-0000-4000-8000-000000000001";
  registry.records[1].id = "3f0c9a2e-0000-4000-8000-000000000002";
  registry.records[2].id = "a1b2c3d4-0000-4000-8000-000000000003";
  struct Case {
    std::string given;
    IdMatch::Outcome outcome;
    std::string id;
    std::size_t candidates;
  };
  const std::vector<Case> cases = {
      {"3f0c9a2e-0000-4000-8000-000000000001", IdMatch::Outcome::found, "3f0c9a2e-0000-4000-8000-000000000001", 0},
      {"a1b2", IdMatch::Outcome::found, "a1b2c3d4-0000-4000-8000-000000000003", 1},
      {"a1b2c3d4-0000", IdMatch::Outcome::found, "a1b2c3d4-0000-4000-8000-000000000003", 1},
      {"3f0c", IdMatch::Outcome::ambiguous, "", 2},
      {"3f0c9a2e-0000-4000-8000-00000000000", IdMatch::Outcome::ambiguous, "", 2},
      {"a1b", IdMatch::Outcome::too_short, "", 0},
      {"", IdMatch::Outcome::too_short, "", 0},
      {"ffff", IdMatch::Outcome::unknown, "", 0},
      {"A1B2", IdMatch::Outcome::unknown, "", 0},  // ids are lower case, as written
      {"a1b2c3d4-0000-4000-8000-0000000000031", IdMatch::Outcome::unknown, "", 0},
  };
  for (const auto& c : cases) {
    INFO(c.given);
    const auto match = resolve_id(registry, c.given);
    CHECK(match.outcome == c.outcome);
    CHECK(match.id == c.id);
    if (c.outcome == IdMatch::Outcome::ambiguous) CHECK(match.candidates == c.candidates);
  }
}
