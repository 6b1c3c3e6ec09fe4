#include <functional>

#include <catch2/catch.hpp>

#include "crypto/pem.h"
#include "formats/names.h"
#include "steps/key_gen.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::steps;
using rotator::testing::fresh_ring;
using rotator::testing::secret_of;
using rotator::testing::snapshot_of;
using rotator::testing::t0;
using Action = KeyGenAssessment::Action;

namespace {

KeyGenOptions with(Force force, Repair repair = Repair::no) {
  KeyGenOptions options;
  options.force = force;
  options.repair = repair;
  return options;
}

}  // namespace

TEST_CASE("key-gen assesses: create, fill, nothing, complete, repair, replace") {
  const auto valid = secret_of(fresh_ring());
  const auto other = secret_of(fresh_ring());
  kube::Secret empty;
  empty.metadata.name = "rsa-keys";
  empty.metadata.resource_version = "3";
  struct Case {
    const char* name;
    std::function<std::optional<kube::Secret>()> observed;
    KeyGenOptions options;
    std::optional<Action> action;  ///< nullopt: refused with exit 5
    const char* text;              ///< in the reason, or in the refusal
  };
  const auto edited = [&](std::function<void(kube::Secret&)> edit) {
    return [&valid, edit] {
      auto s = valid;
      edit(s);
      return std::optional<kube::Secret>(s);
    };
  };
  const Case cases[] = {
      {"absent", [] { return std::nullopt; }, with(Force::no), Action::create, key_gen_reason::no_keys},
      {"empty, made by the install", [&] { return std::optional(empty); }, with(Force::no), Action::create,
       key_gen_reason::placeholder},
      {"empty, but not Opaque",
       [&] {
         auto s = empty;
         s.metadata.namespace_ = "ns";
         s.type = "kubernetes.io/service-account-token";
         return std::optional(s);
       },
       with(Force::no), std::nullopt, "not Opaque"},
      {"valid", [&] { return std::optional(valid); }, with(Force::no), Action::nothing, "valid key kid="},
      {"no staged key", edited([](auto& s) { s.data.erase("next.pem"); }), with(Force::no), Action::complete,
       "no staged next key"},
      {"no jwks.json", edited([](auto& s) { s.data.erase("jwks.json"); }), with(Force::no), Action::complete,
       "jwks.json is missing"},
      {"wrong public key", edited([&](auto& s) { s.data["public.pem"] = other.data.at("public.pem"); }),
       with(Force::no), std::nullopt, "--repair"},
      {"wrong public key, --repair", edited([&](auto& s) { s.data["public.pem"] = other.data.at("public.pem"); }),
       with(Force::no, Repair::yes), Action::repair, key_gen_reason::repaired},
      {"wrong kid, --force", edited([](auto& s) { s.data["kid"] = "x"; }), with(Force::yes), Action::replace_invalid,
       key_gen_reason::forced},
      {"unreadable private key", edited([](auto& s) { s.data["private.pem"] = "junk"; }), with(Force::no), std::nullopt,
       "--force"},
      {"unreadable private key, --repair", edited([](auto& s) { s.data["private.pem"] = "junk"; }),
       with(Force::no, Repair::yes), std::nullopt, "--force"},
      {"unreadable private key, --force", edited([](auto& s) { s.data["private.pem"] = "junk"; }), with(Force::yes),
       Action::replace_invalid, key_gen_reason::forced},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    if (c.action) {
      const auto assessment = assess_key_gen(c.observed(), c.options, t0);
      CHECK(assessment.action == *c.action);
      CHECK_THAT(assessment.reason, Catch::Contains(c.text));
    } else {
      try {
        assess_key_gen(c.observed(), c.options, t0);
        FAIL("accepted");
      } catch (const InvalidDataError& e) {
        CHECK(e.exit_code() == ExitCode::invalid_data);
        // The hint names a command that takes the flag, with the namespace.
        CHECK_THAT(e.what(), Catch::Contains(c.text) && Catch::Contains("rotator key-gen -n ns"));
      }
    }
  }
}

TEST_CASE("key-gen decides the write: a Secret created or replaced on the version read, with its Event") {
  auto keys = std::make_shared<testing::FastKeys>();
  KeyGenOptions options;
  options.algorithm = crypto::Algorithm::es256;
  const KeyGenStep step(options, keys);

  const auto created = step.decide(snapshot_of({{"rsa-keys", std::nullopt}}), {t0, "test", ""});
  REQUIRE(created.changes.size() == 1);
  CHECK(created.changes[0].verb() == "create");
  CHECK(created.changes[0].event->reason == "KeyGenerated");
  const auto& secret = std::get<frame::WriteSecret>(created.changes[0].operation).secret;
  CHECK(formats::read_key_ring(secret, t0, formats::WantStaged::yes).gaps.empty());
  // Deciding again (under the lock) makes the same keys: nothing generated twice.
  const int generated = keys->generated;
  const auto again = step.decide(snapshot_of({{"rsa-keys", std::nullopt}}), {t0, "test", ""});
  CHECK(std::get<frame::WriteSecret>(again.changes[0].operation).secret.data == secret.data);
  CHECK(keys->generated == generated);

  auto ring = fresh_ring();
  ring.next.reset();
  const auto completed = step.decide(snapshot_of({{"rsa-keys", secret_of(ring)}}), {t0, "test", ""});
  REQUIRE(completed.changes.size() == 1);
  CHECK(completed.changes[0].verb() == "replace");
  const auto& filled = std::get<frame::WriteSecret>(completed.changes[0].operation).secret;
  CHECK(filled.metadata.resource_version == "7");                                  // the precondition
  CHECK(filled.data.at("private.pem") == secret_of(ring).data.at("private.pem"));  // the key is kept
  CHECK(filled.data.contains("next.pem"));

  const auto converged = step.decide(snapshot_of({{"rsa-keys", secret_of(fresh_ring())}}), {t0, "test", ""});
  CHECK(converged.finished());
}

TEST_CASE("key-gen takes over a bare Secret: the key kept byte for byte, the staged key in its form or --key-form") {
  using crypto::PrivateKeyForm;
  auto keys = std::make_shared<steps::KeySource>();  // RSA: the forms differ for RSA only
  struct Case {
    const char* name;
    PrivateKeyForm found;
    std::optional<PrivateKeyForm> asked;
    PrivateKeyForm staged;
  };
  const Case cases[] = {
      {"PKCS#1", PrivateKeyForm::pkcs1, std::nullopt, PrivateKeyForm::pkcs1},
      {"PKCS#8", PrivateKeyForm::pkcs8, std::nullopt, PrivateKeyForm::pkcs8},
      {"PKCS#1, --key-form pkcs8", PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs8, PrivateKeyForm::pkcs8},
      {"PKCS#8, --key-form pkcs1", PrivateKeyForm::pkcs8, PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs1},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    KeyGenOptions options;
    options.key_form = c.asked;
    const KeyGenStep step(options, keys);
    const auto bare = testing::bare_key_secret(testing::rsa_pem(0, c.found));
    const auto decision = step.decide(snapshot_of({{"rsa-keys", bare}}), {t0, "test", ""});
    REQUIRE(decision.changes.size() == 1);
    CHECK(decision.changes[0].verb() == "replace");
    CHECK(decision.changes[0].event->reason == "KeyRingUpdated");
    const auto& written = std::get<frame::WriteSecret>(decision.changes[0].operation).secret;
    const bool private_kept = written.data.at("private.pem") == bare.data.at("private.pem");
    const bool public_kept = written.data.at("public.pem") == bare.data.at("public.pem");
    CHECK(private_kept);
    CHECK(public_kept);
    CHECK(crypto::private_key_pem_form(written.data.at("next.pem")) == c.staged);
    CHECK(written.metadata.annotations.contains(formats::key_secret::created_at_annotation));
    // Complete now: the next run has nothing to do, whatever --key-form says.
    CHECK(step.decide(snapshot_of({{"rsa-keys", written}}), {t0, "test", ""}).finished());
  }
}

TEST_CASE("key-gen: --key-form on a new Secret, and on a complete one (which it never re-encodes)") {
  auto keys = std::make_shared<steps::KeySource>();
  KeyGenOptions options;
  options.key_form = crypto::PrivateKeyForm::pkcs1;
  const KeyGenStep step(options, keys);
  const auto created = step.decide(snapshot_of({{"rsa-keys", std::nullopt}}), {t0, "test", ""});
  REQUIRE(created.changes.size() == 1);
  const auto& secret = std::get<frame::WriteSecret>(created.changes[0].operation).secret;
  CHECK(crypto::private_key_pem_form(secret.data.at("private.pem")) == crypto::PrivateKeyForm::pkcs1);
  CHECK(crypto::private_key_pem_form(secret.data.at("next.pem")) == crypto::PrivateKeyForm::pkcs1);

  options.key_form = crypto::PrivateKeyForm::pkcs8;
  const auto assessment = assess_key_gen(secret, options, t0);
  CHECK(assessment.action == Action::nothing);
  CHECK_THAT(assessment.reason,
             Catch::Contains("(PKCS#1)") && Catch::Contains("revoke-and-rotate -n ns --key-form pkcs8"));
}

TEST_CASE("key source: counts each key generated once, with its CPU time, however often a slot is asked for") {
  rotator::testing::FastKeys keys;
  CHECK(keys.stats().keys == 0);
  CHECK(keys.stats().cpu.count() == 0);
  const auto first = keys.key("ns/rotation/next", crypto::Algorithm::es256, std::nullopt);
  CHECK(keys.key("ns/rotation/next", crypto::Algorithm::es256, std::nullopt).kid == first.kid);
  CHECK(keys.stats().keys == 1);
  static_cast<void>(keys.key_like("other/rotation/next", first));
  CHECK(keys.stats().keys == 2);
  CHECK(keys.generated == 2);
  CHECK(keys.stats().cpu.count() > 0);  // two EC key generations: tens of microseconds of CPU at least
  // Each slot keeps its own generation's time; the two add up to the total.
  CHECK(keys.generation_cpu("ns/rotation/next") + keys.generation_cpu("other/rotation/next") == keys.stats().cpu);
  CHECK(keys.generation_cpu("never/asked").count() == 0);
}
