// Taking over an installation: rsa-keys with only private.pem and public.pem, in
// PKCS#1 or PKCS#8, is read as valid with gaps, written back byte for byte, and
// the form of the keys rotator adds follows the ring (or --key-form).

#include <catch2/catch.hpp>

#include "crypto/pem.h"
#include "formats/key_form.h"
#include "formats/key_ring.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::formats;
using crypto::PrivateKeyForm;
using rotator::testing::bare_key_secret;
using rotator::testing::es256_key;
using rotator::testing::rsa_pem;
using rotator::testing::t0;

TEST_CASE("key form: --key-form takes pkcs8 or pkcs1, nothing else") {
  CHECK(parse_key_form_flag("pkcs8") == PrivateKeyForm::pkcs8);
  CHECK(parse_key_form_flag("pkcs1") == PrivateKeyForm::pkcs1);
  for (const char* bad : {"", "sec1", "PKCS1", "pkcs#1", "pem", "traditional"}) {
    INFO(bad);
    try {
      parse_key_form_flag(bad);
      FAIL("accepted");
    } catch (const UsageError& e) {
      CHECK(e.exit_code() == ExitCode::usage);
      CHECK_THAT(e.what(), Catch::Contains("--key-form must be pkcs8 or pkcs1"));
    }
  }
  CHECK_NOTHROW(check_key_form(PrivateKeyForm::pkcs1, crypto::Algorithm::rs256));
  CHECK_NOTHROW(check_key_form(PrivateKeyForm::pkcs8, crypto::Algorithm::es256));
  CHECK_THROWS_AS(check_key_form(PrivateKeyForm::pkcs1, crypto::Algorithm::es256), UsageError);
  CHECK_THROWS_AS(check_key_form(PrivateKeyForm::pkcs1, crypto::Algorithm::eddsa), UsageError);
}

TEST_CASE("key form: new keys take --key-form, else the current key's form, else PKCS#8") {
  const SigningKey pkcs1 = signing_key_from_pem(rsa_pem(0, PrivateKeyForm::pkcs1));
  const SigningKey pkcs8 = signing_key_from_pem(rsa_pem(0, PrivateKeyForm::pkcs8));
  const SigningKey sec1 =
      signing_key_from_pem(crypto::private_key_to_pem(*es256_key().private_key, PrivateKeyForm::sec1).view());
  const SigningKey ec = es256_key();
  struct Case {
    const char* name;
    std::optional<PrivateKeyForm> asked;
    const SigningKey* current;
    std::optional<PrivateKeyForm> form;  ///< nullopt: a usage error
  };
  const Case cases[] = {
      {"new ring", std::nullopt, nullptr, PrivateKeyForm::pkcs8},
      {"new ring, pkcs1", PrivateKeyForm::pkcs1, nullptr, PrivateKeyForm::pkcs1},
      {"PKCS#1 ring kept", std::nullopt, &pkcs1, PrivateKeyForm::pkcs1},
      {"PKCS#8 ring kept", std::nullopt, &pkcs8, PrivateKeyForm::pkcs8},
      {"SEC1 EC ring kept", std::nullopt, &sec1, PrivateKeyForm::sec1},
      {"PKCS#1 ring switched", PrivateKeyForm::pkcs8, &pkcs1, PrivateKeyForm::pkcs8},
      {"PKCS#8 ring switched", PrivateKeyForm::pkcs1, &pkcs8, PrivateKeyForm::pkcs1},
      {"EC ring cannot be PKCS#1", PrivateKeyForm::pkcs1, &ec, std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    if (c.form) {
      CHECK(form_for_new_keys(c.asked, c.current) == *c.form);
    } else {
      CHECK_THROWS_AS(form_for_new_keys(c.asked, c.current), UsageError);
    }
  }
}

TEST_CASE("key ring: a Secret with only private.pem and public.pem, PKCS#1 or PKCS#8, is valid with gaps") {
  for (const PrivateKeyForm form : {PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs8}) {
    INFO(crypto::form_name(form));
    // A trailing blank line and a key InfluxDB's job might keep beside the keys:
    // a re-encoding would lose the first, a rewrite of data the second.
    auto secret = bare_key_secret(rsa_pem(0, form) + "\n");
    secret.data["id"] = "keypair-id";
    const auto original = secret.data;
    const auto read = read_key_ring(secret, t0, WantStaged::yes);
    CHECK(read.repairable.empty());
    CHECK(read.gaps == std::vector<std::string>{"kid is missing", "no staged next key", "jwks.json is missing"});
    CHECK(read.ring.current.form == form);

    kube::Secret written = secret;
    store_key_ring(read.ring, written);
    const bool private_kept = written.data.at("private.pem") == original.at("private.pem");
    const bool public_kept = written.data.at("public.pem") == original.at("public.pem");
    CHECK(private_kept);
    CHECK(public_kept);
    CHECK(written.data.at("id") == "keypair-id");
    CHECK(written.data.at("kid") == read.ring.current.kid);
    CHECK(read_key_ring(written, t0, WantStaged::no).gaps.empty());
  }
}

TEST_CASE("key ring: a key in another form is encoded anew in it, one in its own form keeps its text") {
  SigningKey key = signing_key_from_pem(rsa_pem(1, PrivateKeyForm::pkcs1));
  set_form(key, PrivateKeyForm::pkcs1);
  const bool kept = private_pem_of(key).view() == rsa_pem(1, PrivateKeyForm::pkcs1);
  CHECK(kept);
  set_form(key, PrivateKeyForm::pkcs8);
  CHECK(key.pem.empty());
  const bool encoded = private_pem_of(key).view() == rsa_pem(1, PrivateKeyForm::pkcs8);
  CHECK(encoded);
  // A staged key read in PKCS#1 is written back as it was.
  KeyRing ring;
  ring.current = signing_key_from_pem(rsa_pem(0, PrivateKeyForm::pkcs1));
  ring.next = signing_key_from_pem(rsa_pem(2, PrivateKeyForm::pkcs1));
  kube::Secret secret = bare_key_secret(rsa_pem(0, PrivateKeyForm::pkcs1));
  store_key_ring(ring, secret);
  const bool staged_kept = secret.data.at("next.pem") == rsa_pem(2, PrivateKeyForm::pkcs1);
  CHECK(staged_kept);
  CHECK(read_key_ring(secret, t0, WantStaged::yes).ring.next->form == PrivateKeyForm::pkcs1);
}
