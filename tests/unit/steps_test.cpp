#include <catch2/catch.hpp>

#include "crypto/jwk.h"
#include "crypto/jwt.h"
#include "crypto/pem.h"
#include "steps/admin_token.h"
#include "steps/key_gen.h"
#include "steps/key_ring.h"
#include "steps/restart.h"
#include "steps/rotate.h"
#include "steps/verify.h"
#include "util/base64.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::steps;
using std::chrono::hours;

namespace {

const util::TimePoint t0 = *util::parse_rfc3339("2026-01-01T00:00:00Z");

// ES256 keys are fast to generate; the ring logic does not depend on the algorithm.
KeyRing fresh_ring() {
  KeyRing ring;
  ring.current = generate_signing_key(crypto::Algorithm::es256, std::nullopt);
  ring.next = generate_signing_key(crypto::Algorithm::es256, std::nullopt);
  ring.created_at = t0;
  return ring;
}

kube::Secret secret_of(const KeyRing& ring) {
  kube::Secret secret;
  secret.metadata.name = "rsa-keys";
  secret.metadata.resource_version = "7";
  store_key_ring(ring, secret);
  return secret;
}

kube::Secret token_secret(const std::string& data) {
  kube::Secret s;
  s.metadata.name = "admin-token";
  s.data[admin_token_key] = data;
  return s;
}

}  // namespace

TEST_CASE("key ring: what store_key_ring writes, read_key_ring reads back complete") {
  const KeyRing ring = fresh_ring();
  const auto secret = secret_of(ring);
  for (const char* key : {"private.pem", "public.pem", "kid", "jwks.json", "next.pem"}) CHECK(secret.data.contains(key));
  CHECK(secret.data.at("kid") == ring.current.kid);
  const auto read = read_key_ring(secret, t0, WantStaged::yes);
  CHECK(read.gaps.empty());
  CHECK(read.ring.current.kid == ring.current.kid);
  CHECK(read.ring.next->kid == ring.next->kid);
  CHECK(read.ring.created_at == t0);
  CHECK(crypto::parse_jwk_set(secret.data.at("jwks.json")).size() == 2);
}

TEST_CASE("key-gen decides: create, nothing, complete") {
  KeyGenOptions options;
  CHECK(decide_key_gen(std::nullopt, options, t0).action == KeyGenDecision::Action::create);
  KeyRing ring = fresh_ring();
  CHECK(decide_key_gen(secret_of(ring), options, t0).action == KeyGenDecision::Action::nothing);

  ring.next.reset();
  const auto no_staged = decide_key_gen(secret_of(ring), options, t0);
  CHECK(no_staged.action == KeyGenDecision::Action::complete);
  CHECK_THAT(no_staged.reason, Catch::Contains("no staged next key"));

  auto without_jwks = secret_of(fresh_ring());
  without_jwks.data.erase("jwks.json");
  CHECK(decide_key_gen(without_jwks, options, t0).action == KeyGenDecision::Action::complete);
}

TEST_CASE("key-gen refuses invalid data with exit 5 unless --force") {
  KeyGenOptions options;
  const auto valid = secret_of(fresh_ring());
  const auto other = secret_of(fresh_ring());
  struct Case {
    const char* name;
    std::function<void(kube::Secret&)> corrupt;
    const char* fragment;
  };
  const Case cases[] = {
      {"garbage PEM", [](kube::Secret& s) { s.data["private.pem"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"; }, "private.pem"},
      {"no private key", [](kube::Secret& s) { s.data.erase("private.pem"); }, "no private.pem"},
      {"mismatched public key", [&](kube::Secret& s) { s.data["public.pem"] = other.data.at("public.pem"); }, "not the public half"},
      {"wrong kid", [](kube::Secret& s) { s.data["kid"] = "not-the-thumbprint"; }, "thumbprint"},
      {"truncated jwks", [](kube::Secret& s) { s.data["jwks.json"] = s.data["jwks.json"].substr(0, 20); }, "jwks.json"},
      {"jwks lies about the current key", [&](kube::Secret& s) {
         auto keys = crypto::parse_jwk_set(other.data.at("jwks.json"));
         keys[0]["kid"] = s.data["kid"];
         s.data["jwks.json"] = crypto::make_jwk_set(keys).dump();
       }, "different key"},
      {"corrupt staged key", [](kube::Secret& s) { s.data["next.pem"] = "junk"; }, "next.pem"},
      {"bad time annotation", [](kube::Secret& s) { s.metadata.annotations["rotator.io/key-created-at"] = "yesterday"; }, "RFC 3339"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto secret = valid;
    c.corrupt(secret);
    try {
      decide_key_gen(secret, options, t0);
      FAIL("accepted");
    } catch (const InvalidDataError& e) {
      CHECK(e.exit_code() == ExitCode::invalid_data);
      CHECK_THAT(e.what(), Catch::Contains(c.fragment) && Catch::Contains("--force"));
      CHECK_THAT(e.what(), !Catch::Contains("PRIVATE KEY-----") && !Catch::Contains("AAAA"));
    }
    KeyGenOptions forced;
    forced.force = Force::yes;
    CHECK(decide_key_gen(secret, forced, t0).action == KeyGenDecision::Action::replace_invalid);
  }
}

TEST_CASE("admin token decides: create, nothing, replace for another key, expiry, and unreadable data") {
  const KeyRing ring = fresh_ring();
  AdminTokenOptions options;
  CHECK(decide_admin_token(ring, std::nullopt, options, t0).action == AdminTokenDecision::Action::create);

  const auto token = mint_admin_token(ring, options, t0);
  CHECK_FALSE(token.expiry.has_value());
  CHECK(decide_admin_token(ring, token_secret(serialize_token_file(token)), options, t0 + hours(1000)).action ==
        AdminTokenDecision::Action::nothing);

  const KeyRing other = fresh_ring();
  const auto foreign = mint_admin_token(other, options, t0);
  CHECK(decide_admin_token(ring, token_secret(serialize_token_file(foreign)), options, t0).action ==
        AdminTokenDecision::Action::replace);

  AdminTokenOptions expiring = options;
  expiring.ttl = hours(24);
  expiring.renew_before = hours(8);
  const auto short_lived = mint_admin_token(ring, expiring, t0);
  REQUIRE(short_lived.expiry.has_value());
  CHECK(*short_lived.expiry == t0 + hours(24));
  const auto file = token_secret(serialize_token_file(short_lived));
  CHECK(decide_admin_token(ring, file, expiring, t0 + hours(15)).action == AdminTokenDecision::Action::nothing);
  CHECK(decide_admin_token(ring, file, expiring, t0 + hours(17)).action == AdminTokenDecision::Action::replace);
  CHECK(decide_admin_token(ring, file, expiring, t0 + hours(25)).action == AdminTokenDecision::Action::replace);

  for (const char* garbage : {"not json", "{}", "{\"access_token\": 5}", "[1]"}) {
    INFO(garbage);
    CHECK_THROWS_AS(decide_admin_token(ring, token_secret(garbage), options, t0), InvalidDataError);
    AdminTokenOptions forced = options;
    forced.force = AdminTokenOptions::Force::yes;
    CHECK(decide_admin_token(ring, token_secret(garbage), forced, t0).action == AdminTokenDecision::Action::replace);
  }
}

TEST_CASE("admin token file: the JSON influxctl reads") {
  TokenFile file;
  file.access_token = "a.b.c";
  file.expiry = t0;
  const auto text = serialize_token_file(file);
  CHECK(text == R"({"access_token":"a.b.c","expiry":"2026-01-01T00:00:00Z","token_type":"Bearer"})");
  const auto back = parse_token_file(text);
  CHECK(back.access_token == "a.b.c");
  CHECK(back.expiry == t0);
  CHECK(extract_token(text) == "a.b.c");
  CHECK(extract_token("  a.b.c\n") == "a.b.c");
}

TEST_CASE("rotation decides: already applied, too young, promote, fresh") {
  KeyRing ring = fresh_ring();
  RotateOptions options;
  options.rotation_id = "r1";
  CHECK(decide_rotation(ring, options, t0).action == RotationDecision::Action::promote_staged);
  options.kind = RotationKind::fresh;
  CHECK(decide_rotation(ring, options, t0).action == RotationDecision::Action::generate_fresh);
  options.kind = RotationKind::scheduled;
  options.if_older_than = hours(24 * 30);
  CHECK(decide_rotation(ring, options, t0 + hours(24)).action == RotationDecision::Action::too_young);
  CHECK(decide_rotation(ring, options, t0 + hours(24 * 31)).action == RotationDecision::Action::promote_staged);
  ring.rotation_history = {"r0", "r1"};
  CHECK(decide_rotation(ring, options, t0 + hours(24)).action == RotationDecision::Action::already_applied);
  ring.rotation_history = {"r0"};
  ring.next.reset();
  options.if_older_than.reset();
  CHECK(decide_rotation(ring, options, t0).action == RotationDecision::Action::generate_fresh);
}

TEST_CASE("rotation: a scheduled rotation promotes and keeps the old key in grace, an incident does not") {
  const KeyRing ring = fresh_ring();
  const std::string old_kid = ring.current.kid;
  const std::string staged_kid = ring.next->kid;
  RotateOptions options;
  options.rotation_id = "r1";
  options.grace = hours(1);
  const auto later = t0 + hours(24);

  SECTION("scheduled") {
    KeyRing copy = fresh_ring();
    copy.current = std::move(const_cast<KeyRing&>(ring).current);
    copy.next = std::move(const_cast<KeyRing&>(ring).next);
    const auto decision = decide_rotation(copy, options, later);
    const KeyRing rotated = rotated_ring(std::move(copy), decision, options, later);
    CHECK(rotated.current.kid == staged_kid);
    CHECK_FALSE(rotated.next.has_value());
    REQUIRE(rotated.previous.has_value());
    CHECK(rotated.previous->kid == old_kid);
    CHECK(rotated.previous->trusted_until == later + hours(1));
    CHECK(rotated.created_at == later);
    CHECK(rotated.rotation_history == std::vector<std::string>{"r1"});
    // What is stored publishes current and retired keys; the retired one until its grace ends.
    const auto secret = secret_of(rotated);
    CHECK(read_key_ring(secret, later, WantStaged::no).ring.previous.has_value());
    const auto after_grace = read_key_ring(secret, later + hours(2), WantStaged::no);
    CHECK_FALSE(after_grace.ring.previous.has_value());
    CHECK_FALSE(after_grace.gaps.empty());
  }
  SECTION("incident") {
    KeyRing copy = fresh_ring();
    const std::string before = copy.current.kid;
    const std::string staged = copy.next->kid;
    options.kind = RotationKind::fresh;
    const auto decision = decide_rotation(copy, options, later);
    const KeyRing rotated = rotated_ring(std::move(copy), decision, options, later);
    CHECK(rotated.current.kid != before);
    CHECK(rotated.current.kid != staged);  // a leaked Secret leaked the staged key too
    CHECK_FALSE(rotated.previous.has_value());
  }
}

TEST_CASE("verify: valid only under the current key, with the reason otherwise") {
  KeyRing ring = fresh_ring();
  AdminTokenOptions options;
  options.ttl = hours(1);
  const auto current = mint_admin_token(ring, options, t0).access_token;
  CHECK(verify_admin_token(current, ring, t0).valid);
  CHECK(verify_admin_token(current, ring, t0 + hours(2)).reason == "expired");

  KeyRing staged_signer;
  staged_signer.current = std::move(*ring.next);
  const auto by_staged = mint_admin_token(staged_signer, options, t0).access_token;
  ring.next = std::move(staged_signer.current);
  CHECK_THAT(verify_admin_token(by_staged, ring, t0).reason, Catch::Contains("staged key"));

  const auto stranger = mint_admin_token(fresh_ring(), options, t0).access_token;
  CHECK_THAT(verify_admin_token(stranger, ring, t0).reason, Catch::Contains("no longer published"));
  CHECK(verify_admin_token("garbage", ring, t0).kind == "unknown");

  // A token whose payload was altered under a genuine header fails on its signature.
  auto tampered = current;
  const auto dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
  const auto verdict = verify_admin_token(tampered, ring, t0);
  CHECK_FALSE(verdict.valid);
}

TEST_CASE("verify: claims of the wrong type or out of range are reported, never an internal error") {
  // `rotator verify` decodes any token it is given before checking the signature.
  const KeyRing ring = fresh_ring();
  for (const nlohmann::json& claims : {nlohmann::json{{"jti", 7}, {"iat", 1e30}, {"exp", -1e30}},
                                       nlohmann::json{{"jti", {1, 2}}, {"exp", 9.3e9}}}) {
    INFO(claims.dump());
    const auto token = crypto::sign_jwt({{"kid", ring.current.kid}}, claims, *ring.current.private_key,
                                        ring.current.description.algorithm);
    TokenVerdict verdict;
    CHECK_NOTHROW(verdict = verify_admin_token(token, ring, t0));
    CHECK(verdict.id.empty());
    CHECK_FALSE(verdict.expires_at.has_value());
  }
  // No signer writes a numeric kid; a forged token may.
  const auto numeric_kid = util::base64url_encode(R"({"alg":"RS256","kid":42})") + "." +
                           util::base64url_encode(R"({"jti":"x"})") + ".AAAA";
  TokenVerdict verdict;
  CHECK_NOTHROW(verdict = verify_admin_token(numeric_kid, ring, t0));
  CHECK_FALSE(verdict.valid);
}

TEST_CASE("restart decides from the template annotation and the rollout") {
  const nlohmann::json done = {{"metadata", {{"name", "tm"}, {"generation", 2}}},
                               {"spec", {{"replicas", 1}, {"template", {{"metadata", {{"annotations", {{"rotator.io/kid", "k2"}}}}}}}}},
                               {"status", {{"observedGeneration", 2}, {"updatedReplicas", 1}, {"replicas", 1}, {"availableReplicas", 1}}}};
  CHECK(decide_rollout(kube::WorkloadKind::deployment, done, "k2").action == RolloutDecision::Action::done);
  CHECK(decide_rollout(kube::WorkloadKind::deployment, done, "k3").action == RolloutDecision::Action::patch);
  auto waiting = done;
  waiting["status"]["availableReplicas"] = 0;
  CHECK(decide_rollout(kube::WorkloadKind::deployment, waiting, "k2").action == RolloutDecision::Action::wait);
}

TEST_CASE("restart picks the pods started before the key, not those terminating") {
  auto pod = [](const char* name, const char* created, bool terminating) {
    kube::Pod p;
    p.metadata.name = name;
    p.metadata.creation_timestamp = util::parse_rfc3339(created);
    p.terminating = terminating;
    return p;
  };
  const auto victims = pods_started_before(
      {pod("old", "2025-12-31T23:00:00Z", false), pod("same-second", "2026-01-01T00:00:00Z", false),
       pod("new", "2026-01-01T00:00:01Z", false), pod("going", "2025-12-31T23:00:00Z", true)},
      t0);
  REQUIRE(victims.size() == 2);
  CHECK(victims[0].metadata.name == "old");
  CHECK(victims[1].metadata.name == "same-second");
  CHECK(parse_restart_mode("delete-pods") == RestartMode::delete_pods);
  CHECK_THROWS_AS(parse_restart_mode("bounce"), UsageError);
  CHECK(valid_rotation_id("2f1c9a4e-job-uid"));
  CHECK_FALSE(valid_rotation_id("a,b"));
  CHECK_FALSE(valid_rotation_id(""));
}
