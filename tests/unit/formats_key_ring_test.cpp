#include <functional>

#include <catch2/catch.hpp>

#include "crypto/jwk.h"
#include "crypto/openssl_handles.h"
#include "crypto/pem.h"
#include "formats/key_ring.h"
#include "formats/names.h"
#include "test_support.h"
#include "util/base64.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::formats;
using rotator::testing::fresh_ring;
using rotator::testing::secret_of;
using rotator::testing::t0;
using std::chrono::hours;

namespace {

/// `jwk` with its RSA modulus made even: it still imports, and only a check of the
/// modulus refuses it (not a product of two odd primes).
nlohmann::json with_even_modulus(nlohmann::json jwk) {
  auto modulus = util::base64url_decode(jwk.at("n").get<std::string>()).value();
  modulus.back() = static_cast<char>(modulus.back() & ~1);
  jwk["n"] = util::base64url_encode(modulus);
  return jwk;
}

/// `jwk` with its RSA modulus multiplied by 3: still odd, so the cheap checks
/// (KeyCheck::quick) pass it, and only the full check's small-factor test refuses it.
nlohmann::json with_modulus_times_three(nlohmann::json jwk) {
  const auto bytes = util::base64url_decode(jwk.at("n").get<std::string>()).value();
  const crypto::BignumHandle modulus(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
  REQUIRE(modulus);
  REQUIRE(BN_mul_word(modulus.get(), 3) == 1);
  std::string tripled(static_cast<std::size_t>(BN_num_bytes(modulus.get())), '\0');
  BN_bn2bin(modulus.get(), reinterpret_cast<unsigned char*>(tripled.data()));
  jwk["n"] = util::base64url_encode(tripled);
  return jwk;
}

}  // namespace

TEST_CASE("key ring: what store_key_ring writes, read_key_ring reads back complete") {
  KeyRing ring = fresh_ring();
  ring.rotation_history = {"r1", "r2"};
  ring.in_progress = RotationRecord{"r2", RotationKind::incident, t0, "revoke-and-rotate by user admin on host h"};
  ring.former_kids = {"gone"};
  const auto secret = secret_of(ring);
  for (const char* key : {"private.pem", "public.pem", "kid", "jwks.json", "next.pem"})
    CHECK(secret.data.contains(key));
  CHECK(secret.data.at("kid") == ring.current.kid);
  const auto read = read_key_ring(secret, t0, WantStaged::yes);
  CHECK(read.gaps.empty());
  CHECK(read.repairable.empty());
  CHECK(read.ring.current.kid == ring.current.kid);
  CHECK(read.ring.next->kid == ring.next->kid);
  CHECK(read.ring.created_at == t0);
  CHECK(read.ring.rotation_history == ring.rotation_history);
  CHECK(read.ring.in_progress == ring.in_progress);
  CHECK(read.ring.former_kids == std::vector<std::string>{"gone"});
  CHECK(crypto::parse_jwk_set(secret.data.at("jwks.json")).size() == 2);
}

TEST_CASE("key ring: retired keys are published until their promised time, each its own") {
  KeyRing ring = fresh_ring();
  KeyRing first = fresh_ring();
  KeyRing second = fresh_ring();
  ring.retired = {
      {crypto::public_jwk(*first.current.private_key, first.current.kid), first.current.kid, t0 + hours(1)},
      {crypto::public_jwk(*second.current.private_key, second.current.kid), second.current.kid, t0 + hours(3)}};
  const auto secret = secret_of(ring);
  struct Case {
    util::TimePoint at;
    std::size_t published;
    bool gap;
  };
  for (const Case& c : {Case{t0, 2, false}, Case{t0 + hours(2), 1, true}, Case{t0 + hours(4), 0, true}}) {
    const auto read = read_key_ring(secret, c.at, WantStaged::no);
    CHECK(read.ring.retired.size() == c.published);
    CHECK(read.gaps.empty() == !c.gap);
    // A key whose promise ended is remembered as former, for verify's diagnosis.
    CHECK(read.ring.former_kids.size() == 2 - c.published);
  }
}

TEST_CASE("key ring: the single retired key written before retired-keys existed is still read") {
  KeyRing ring = fresh_ring();
  KeyRing old = fresh_ring();
  ring.retired = {{crypto::public_jwk(*old.current.private_key, old.current.kid), old.current.kid, t0 + hours(1)}};
  auto secret = secret_of(ring);
  secret.metadata.annotations.erase(key_secret::retired_keys_annotation);
  secret.metadata.annotations[key_secret::legacy_previous_kid_annotation] = old.current.kid;
  secret.metadata.annotations[key_secret::legacy_previous_until_annotation] = util::format_rfc3339(t0 + hours(1));
  const auto read = read_key_ring(secret, t0, WantStaged::no);
  REQUIRE(read.ring.retired.size() == 1);
  CHECK(read.ring.retired[0].kid == old.current.kid);
  // Written back, it takes the new form.
  kube::Secret rewritten = secret;
  store_key_ring(read.ring, rewritten);
  CHECK(rewritten.metadata.annotations.contains(key_secret::retired_keys_annotation));
  CHECK_FALSE(rewritten.metadata.annotations.contains(key_secret::legacy_previous_kid_annotation));
}

TEST_CASE("key ring: a retired key changed under its kid gets the provider's full check, and fails it") {
  // A promised retired key skips the costly provider check only while its members
  // hash to its kid (RFC 7638). A modulus with a small factor passes the cheap
  // checks and only the full one refuses it: under the same kid it must still be
  // refused.
  const auto old_key = crypto::load_private_key_pem(rotator::testing::rsa_pem(0, crypto::PrivateKeyForm::pkcs8));
  const std::string old_kid = crypto::key_thumbprint(*old_key);
  const auto old_jwk = crypto::public_jwk(*old_key, old_kid);
  KeyRing ring = fresh_ring();
  ring.retired = {{old_jwk, old_kid, t0 + hours(1)}};
  const auto intact_reading = inspect_key_ring(secret_of(ring), t0, WantStaged::no);
  CHECK(intact_reading.repairable.empty());
  CHECK(intact_reading.ring.retired.size() == 1);

  ring.retired = {{with_modulus_times_three(old_jwk), old_kid, t0 + hours(1)}};
  const auto reading = inspect_key_ring(secret_of(ring), t0, WantStaged::no);
  REQUIRE(reading.repairable.size() == 1);
  CHECK_THAT(reading.repairable[0], Catch::Contains("jwks.json") && Catch::Contains("not describe a valid public key"));
}

TEST_CASE("key ring: a weak retired key with its kid and promise rewritten to match still fails the cheap checks") {
  // Whoever rewrites a retired key, its kid (the new thumbprint) and its promise
  // together skips only the costly modulus tests: an even modulus, e = 1, e = 3,
  // an even e or one of 257 bits is refused all the same.
  const auto old_key = crypto::load_private_key_pem(rotator::testing::rsa_pem(0, crypto::PrivateKeyForm::pkcs8));
  const auto valid_jwk = crypto::public_jwk(*old_key, crypto::key_thumbprint(*old_key));
  const auto with_member = [&](const char* name, std::string bytes) {
    auto jwk = valid_jwk;
    jwk[name] = util::base64url_encode(bytes);
    return jwk;
  };
  struct Case {
    const char* name;
    nlohmann::json jwk;
    bool valid;
  };
  const Case cases[] = {
      {"as generated", valid_jwk, true},
      {"even modulus", with_even_modulus(valid_jwk), false},
      {"e = 1", with_member("e", std::string("\x01", 1)), false},
      {"e = 3", with_member("e", std::string("\x03", 1)), false},
      {"e = 65536", with_member("e", std::string("\x01\x00\x00", 3)), false},
      {"e = 2^256 + 1", with_member("e", std::string("\x01") + std::string(31, '\0') + std::string("\x01", 1)), false},
      {"e = 2^255 + 1, the largest size allowed",
       with_member("e", std::string("\x80") + std::string(30, '\0') + "\x01"), true},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto jwk = c.jwk;
    const std::string kid = crypto::jwk_thumbprint(jwk);
    jwk["kid"] = kid;
    KeyRing ring = fresh_ring();
    ring.retired = {{jwk, kid, t0 + hours(1)}};
    const auto reading = inspect_key_ring(secret_of(ring), t0, WantStaged::no);
    if (c.valid) {
      CHECK(reading.repairable.empty());
      CHECK(reading.ring.retired.size() == 1);
    } else {
      REQUIRE(reading.repairable.size() == 1);
      CHECK_THAT(reading.repairable[0], Catch::Contains("not describe a valid public key"));
    }
  }
}

TEST_CASE("key ring: what contradicts private.pem is repairable, an unreadable private key is not") {
  const auto valid = secret_of(fresh_ring());
  const auto other = secret_of(fresh_ring());
  struct Case {
    const char* name;
    std::function<void(kube::Secret&)> corrupt;
    const char* fragment;
    bool repairable;  ///< else inspect_key_ring itself refuses
  };
  const Case cases[] = {
      {"garbage private PEM",
       [](kube::Secret& s) {
         s.data["private.pem"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
       },
       "private.pem", false},
      {"no private key", [](kube::Secret& s) { s.data.erase("private.pem"); }, "no private.pem", false},
      {"another type", [](kube::Secret& s) { s.type = "kubernetes.io/service-account-token"; }, "not Opaque", false},
      {"bad time annotation",
       [](kube::Secret& s) { s.metadata.annotations["rotator.io/key-created-at"] = "yesterday"; }, "RFC 3339", false},
      {"bad rotation record",
       [](kube::Secret& s) { s.metadata.annotations["rotator.io/rotation-in-progress"] = "{\"id\":\"a,b\"}"; },
       "rotation-in-progress", false},
      {"mismatched public key", [&](kube::Secret& s) { s.data["public.pem"] = other.data.at("public.pem"); },
       "not the public half", true},
      {"wrong kid", [](kube::Secret& s) { s.data["kid"] = "not-the-thumbprint"; }, "thumbprint", true},
      {"truncated jwks", [](kube::Secret& s) { s.data["jwks.json"] = s.data["jwks.json"].substr(0, 20); }, "jwks.json",
       true},
      {"jwks lies about the current key",
       [&](kube::Secret& s) {
         auto keys = crypto::parse_jwk_set(other.data.at("jwks.json"));
         keys[0]["kid"] = s.data["kid"];
         s.data["jwks.json"] = crypto::make_jwk_set(keys).dump();
       },
       "different key", true},
      {"corrupt staged key", [](kube::Secret& s) { s.data["next.pem"] = "junk"; }, "next.pem", true},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto secret = valid;
    c.corrupt(secret);
    try {
      read_key_ring(secret, t0, WantStaged::no);
      FAIL("accepted");
    } catch (const InvalidDataError& e) {
      CHECK_THAT(e.what(), Catch::Contains(c.fragment) && Catch::Contains("ns/rsa-keys is invalid"));
      CHECK_THAT(e.what(), !Catch::Contains("PRIVATE KEY-----") && !Catch::Contains("AAAA"));
    }
    if (c.repairable) {
      const auto reading = inspect_key_ring(secret, t0, WantStaged::no);
      CHECK_FALSE(reading.repairable.empty());
      CHECK(reading.ring.current.kid == valid.data.at("kid"));
    } else {
      CHECK_THROWS_AS(inspect_key_ring(secret, t0, WantStaged::no), InvalidDataError);
    }
  }
}

TEST_CASE("key ring: gaps are what can be completed without touching the current key") {
  const auto valid = secret_of(fresh_ring());
  const std::pair<const char*, std::function<void(kube::Secret&)>> cases[] = {
      {"no staged next key", [](kube::Secret& s) { s.data.erase("next.pem"); }},
      {"jwks.json is missing", [](kube::Secret& s) { s.data.erase("jwks.json"); }},
      {"public.pem is missing", [](kube::Secret& s) { s.data.erase("public.pem"); }},
      {"kid is missing", [](kube::Secret& s) { s.data.erase("kid"); }},
  };
  for (const auto& [gap, edit] : cases) {
    INFO(gap);
    auto secret = valid;
    edit(secret);
    const auto reading = read_key_ring(secret, t0, WantStaged::yes);
    REQUIRE(reading.gaps.size() >= 1);
    CHECK_THAT(reading.gaps.front(), Catch::Contains(gap));
  }
}

TEST_CASE("key ring: rotation ids, placeholders") {
  CHECK(valid_rotation_id("2f1c9a4e-job-uid"));
  CHECK(valid_rotation_id("a.b_c-1"));
  CHECK_FALSE(valid_rotation_id("a,b"));
  CHECK_FALSE(valid_rotation_id(""));
  CHECK_FALSE(valid_rotation_id(std::string(129, 'a')));
  kube::Secret empty;
  CHECK(is_placeholder(empty));
  CHECK_FALSE(is_placeholder(secret_of(fresh_ring())));
  // An empty Secret of another type is no placeholder: it is refused, not filled.
  kube::Secret other_type;
  other_type.type = "kubernetes.io/service-account-token";
  CHECK_FALSE(is_placeholder(other_type));
  other_type.type = "";
  CHECK(is_placeholder(other_type));
}
