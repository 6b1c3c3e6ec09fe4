#include <catch2/catch.hpp>

#include "formats/token_file.h"
#include "steps/admin_token.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::steps;
using rotator::testing::fresh_ring;
using rotator::testing::secret_of;
using rotator::testing::snapshot_of;
using rotator::testing::t0;
using rotator::testing::token_secret;
using std::chrono::hours;
using Action = AdminTokenAssessment::Action;

TEST_CASE("create-admin-token assesses: create, nothing, replace for another key, expiry, unreadable data") {
  const formats::KeyRing ring = fresh_ring();
  AdminTokenOptions plain;
  AdminTokenOptions expiring;
  expiring.ttl = hours(24);
  expiring.renew_before = hours(8);
  AdminTokenOptions forced;
  forced.force = Force::yes;
  const auto current = formats::serialize_token_file(mint_admin_token(ring, plain, t0));
  const auto foreign = formats::serialize_token_file(mint_admin_token(fresh_ring(), plain, t0));
  const auto short_lived = formats::serialize_token_file(mint_admin_token(ring, expiring, t0));
  kube::Secret empty;
  empty.metadata.name = "admin-token";

  struct Case {
    const char* name;
    std::optional<kube::Secret> observed;
    AdminTokenOptions options;
    util::TimePoint at;
    std::optional<Action> action;  ///< nullopt: refused, exit 5
    const char* reason;
  };
  const Case cases[] = {
      {"absent", std::nullopt, plain, t0, Action::create, admin_token_reason::none_yet},
      {"empty, made by the install", empty, plain, t0, Action::replace, admin_token_reason::placeholder},
      {"empty, but not Opaque",
       [&] {
         auto s = empty;
         s.type = "kubernetes.io/service-account-token";
         return s;
       }(),
       plain, t0, std::nullopt, "not Opaque"},
      {"valid, no expiry", token_secret(current), plain, t0 + hours(1000), Action::nothing, "verifies under kid="},
      {"another key", token_secret(foreign), plain, t0, Action::replace, admin_token_reason::other_key},
      {"far from expiry", token_secret(short_lived), expiring, t0 + hours(15), Action::nothing, "verifies"},
      {"within --renew-before", token_secret(short_lived), expiring, t0 + hours(17), Action::replace,
       "within --renew-before"},
      {"expired", token_secret(short_lived), expiring, t0 + hours(25), Action::replace, admin_token_reason::expired},
      {"not JSON", token_secret("not json"), plain, t0, std::nullopt, "--force"},
      {"no access_token", token_secret("{}"), plain, t0, std::nullopt, "create-admin-token -n ns --force"},
      {"not JSON, --force", token_secret("[1]"), forced, t0, Action::replace, admin_token_reason::forced},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    if (c.action) {
      const auto assessment = assess_admin_token(ring, c.observed, c.options, c.at);
      CHECK(assessment.action == *c.action);
      CHECK_THAT(assessment.reason, Catch::Contains(c.reason));
    } else {
      try {
        assess_admin_token(ring, c.observed, c.options, c.at);
        FAIL("accepted");
      } catch (const InvalidDataError& e) {
        CHECK_THAT(e.what(), Catch::Contains(c.reason));
      }
    }
  }
}

TEST_CASE("create-admin-token mints what the contract says and keeps other members of the file") {
  const formats::KeyRing ring = fresh_ring();
  AdminTokenOptions options;
  options.ttl = hours(24);
  const auto file = mint_admin_token(ring, options, t0);
  REQUIRE(file.expiry.has_value());
  CHECK(*file.expiry == t0 + hours(24));
  const auto existing = token_secret(R"({"access_token":"old.old.old","token_type":"Bearer","refresh_token":"kept"})");
  const auto change = admin_token_change(ring, existing, options, "ns", t0, "because");
  CHECK(change.verb() == "replace");
  const auto& written = std::get<frame::WriteSecret>(change.operation).secret;
  const auto parsed = formats::parse_token_file(written.data.at("token"));
  CHECK(parsed.other_members["refresh_token"] == "kept");
  CHECK(parsed.access_token != "old.old.old");
  CHECK(written.metadata.annotations.at("rotator.io/kid") == ring.current.kid);
}

TEST_CASE("create-admin-token needs valid signing keys, and says which command makes them") {
  const AdminTokenStep step({});
  kube::Secret empty;
  empty.metadata.name = "rsa-keys";
  for (const auto& keys : {std::optional<kube::Secret>(), std::optional<kube::Secret>(empty)}) {
    try {
      step.decide(snapshot_of({{"rsa-keys", keys}, {"admin-token", std::nullopt}}), {t0, "test", ""});
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("rotator key-gen -n ns"));
    }
  }
  const auto decided = step.decide(snapshot_of({{"rsa-keys", secret_of(fresh_ring())}, {"admin-token", std::nullopt}}),
                                   {t0, "test", ""});
  REQUIRE(decided.changes.size() == 1);
  CHECK(decided.changes[0].verb() == "create");
  CHECK(decided.changes[0].event->reason == "AdminTokenCreated");
}
