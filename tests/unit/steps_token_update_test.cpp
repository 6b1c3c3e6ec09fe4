// token update as a decision table: what it writes for each registry, and what
// it refuses. No cluster: the registry Secret is made here.

#include <catch2/catch.hpp>

#include "formats/registry.h"
#include "steps/token_commands.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using rotator::testing::snapshot_of;

namespace {

const std::string live_id = "11111111-2222-4333-8444-555555555555";
const std::string revoked_id = "66666666-7777-4888-9999-aaaaaaaaaaaa";

formats::TokenRecord record(const std::string& id, const std::string& description) {
  const auto generated = formats::generate_token(formats::TokenKind::database);
  formats::TokenRecord r;
  r.id = id;
  r.description = description;
  r.permissions = {{"read", "telemetry"}};
  r.created_at = testing::t0;
  r.prefix = generated.prefix;
  r.sha512 = generated.sha512_hex;
  return r;
}

/// The same Secret on every call (its tokens are made once).
const kube::Secret& registry_secret() {
  static const kube::Secret made = [] {
    formats::Registry registry{formats::TokenKind::database, {record(live_id, "grafana"), record(revoked_id, "old")}};
    registry.records[1].revoked_at = testing::t0;
    kube::Secret secret;
    secret.metadata.name = "database-tokens";
    secret.metadata.namespace_ = "ns";
    secret.metadata.resource_version = "7";
    secret.type = "Opaque";
    secret.data = {{std::string(formats::registry_data_key), formats::serialize_registry(registry)}};
    return secret;
  }();
  return made;
}

frame::Decision decide(const std::string& id, const steps::TokenUpdate& update) {
  const steps::TokenUpdateStep step("token update", {"database-tokens", formats::TokenKind::database, steps::Force::no},
                                    id, update);
  return step.decide(snapshot_of({{"database-tokens", registry_secret()}}), {testing::t0, "test", "user admin"});
}

/// The record `id` in the registry a decision writes.
formats::TokenRecord written(const frame::Decision& decision, const std::string& id) {
  REQUIRE(decision.changes.size() == 1);
  const auto& secret = std::get<frame::WriteSecret>(decision.changes[0].operation).secret;
  CHECK(secret.metadata.resource_version == "7");  // preconditioned on what was read
  const auto registry =
      formats::parse_registry(secret.data.at(std::string(formats::registry_data_key)), formats::TokenKind::database);
  REQUIRE(registry.records.size() == 2);
  return *formats::find_by_id(registry, id);
}

}  // namespace

TEST_CASE("token update: description, permissions or both, in one write, and the hash never changes") {
  const auto before = formats::parse_registry(registry_secret().data.at(std::string(formats::registry_data_key)),
                                              formats::TokenKind::database);
  const std::vector<formats::Permission> two = {{"read", "logs"}, {"write", "*"}};
  struct Case {
    const char* name;
    steps::TokenUpdate update;
    std::string description;
    std::vector<formats::Permission> permissions;
  };
  const std::vector<Case> cases = {
      {"description", {"grafana (ro)", std::nullopt}, "grafana (ro)", {{"read", "telemetry"}}},
      {"permissions", {std::nullopt, two}, "grafana", two},
      {"both", {"ingest", two}, "ingest", two},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto decision = decide(live_id, c.update);
      const auto after = written(decision, live_id);
      CHECK(after.description == c.description);
      CHECK(after.permissions == c.permissions);
      CHECK(after.sha512 == formats::find_by_id(before, live_id)->sha512);
      CHECK(after.created_at == formats::find_by_id(before, live_id)->created_at);
      REQUIRE(decision.changes[0].event);
      CHECK(decision.changes[0].event->reason == "TokenUpdated");
    }
  }
}

TEST_CASE("token update: nothing to change is no write, and a revoked or unknown token is refused") {
  CHECK(decide(live_id, {"grafana", std::nullopt}).finished());
  CHECK(decide(live_id, {std::nullopt, std::vector<formats::Permission>{{"read", "telemetry"}}}).finished());
  CHECK_THROWS_WITH(decide(revoked_id, {"new", std::nullopt}), Catch::Contains("cannot be updated"));
  CHECK_THROWS_WITH(decide("99999999-0000-4000-8000-000000000000", {"new", std::nullopt}),
                    Catch::Contains("no database token with id"));
}
