#include <openssl/err.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "crypto/algorithm.h"
#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "crypto/random.h"

#include "test_support.h"

namespace {

using namespace rotator::crypto;
namespace fs = std::filesystem;

using rotator::testing::ScratchDir;

/// Exit status of a shell command, output discarded.
int run_quietly(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Runs `command` and returns its standard output; fails the test on a non-zero exit.
std::string run_and_capture(const std::string& command) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t count = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, count);
  const int status = pclose(pipe);
  INFO("command: " << command);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return output;
}

/// Runs `openssl <subcommand> -out <name> <arguments>` and returns what it wrote.
std::string openssl_generated(const ScratchDir& dir, const std::string& name, const std::string& subcommand,
                              const std::string& arguments) {
  run_and_capture("openssl " + subcommand + " -out " + dir.file(name) + " " + arguments);
  return dir.read(name);
}

std::string message_of_private_load(std::string_view pem) {
  try {
    load_private_key_pem(pem);
  } catch (const CryptoError& error) {
    return error.what();
  }
  FAIL("load_private_key_pem accepted invalid input");
  return {};
}

std::string message_of_public_load(std::string_view pem) {
  try {
    load_public_key_pem(pem);
  } catch (const CryptoError& error) {
    return error.what();
  }
  FAIL("load_public_key_pem accepted invalid input");
  return {};
}

/// The base64 body of a PEM, used to check errors never echo key material.
std::string pem_body_sample(std::string_view pem) {
  const std::size_t body = pem.find('\n') + 1;
  return std::string(pem.substr(body, 24));
}

}  // namespace

TEST_CASE("crypto keys: JOSE algorithm names round-trip and reject others", "[crypto][keys]") {
  for (Algorithm algorithm : {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa}) {
    CHECK(algorithm_from_jose_name(jose_name(algorithm)) == algorithm);
  }
  CHECK(jose_name(Algorithm::eddsa) == "EdDSA");
  for (const char* other : {"none", "HS256", "rs256", "RS384", "PS256", "", "ES256K"}) {
    CHECK_FALSE(algorithm_from_jose_name(other).has_value());
  }
}

TEST_CASE("crypto keys: generation yields the requested algorithm and size", "[crypto][keys]") {
  SECTION("RS256 2048 by default") {
    const KeyPair pair = generate_key(Algorithm::rs256);
    const KeyDescription description = describe_key(*pair.private_key);
    CHECK(pair.algorithm == Algorithm::rs256);
    CHECK(description.algorithm == Algorithm::rs256);
    CHECK(description.bits == 2048);
    CHECK(to_string(description) == "RS256 (RSA 2048 bits)");
  }
  SECTION("RS256 3072") {
    const KeyPair pair = generate_key(Algorithm::rs256, 3072);
    CHECK(describe_key(*pair.private_key).bits == 3072);
  }
  SECTION("ES256 on P-256") {
    const KeyPair pair = generate_key(Algorithm::es256);
    const KeyDescription description = describe_key(*pair.private_key);
    CHECK(description.algorithm == Algorithm::es256);
    CHECK(description.bits == 256);
    CHECK(to_string(description) == "ES256 (EC P-256)");
  }
  SECTION("EdDSA on Ed25519") {
    const KeyPair pair = generate_key(Algorithm::eddsa);
    CHECK(describe_key(*pair.private_key).algorithm == Algorithm::eddsa);
    CHECK(to_string(describe_key(*pair.private_key)) == "EdDSA (Ed25519)");
  }
}

// 4096-bit generation takes seconds; it runs once, in its own test case.
TEST_CASE("crypto keys: RS256 4096 generation and PEM round trip", "[crypto][keys][slow]") {
  const KeyPair pair = generate_key(Algorithm::rs256, 4096);
  CHECK(describe_key(*pair.private_key).bits == 4096);
  const PkeyHandle reloaded = load_private_key_pem(private_key_to_pem(*pair.private_key).view());
  CHECK(describe_key(*reloaded).bits == 4096);
  CHECK(public_matches_private(*reloaded, *pair.private_key));
}

TEST_CASE("crypto keys: unsupported sizes are rejected with a clear error", "[crypto][keys]") {
  for (int bits : {0, 1024, 2047, 2049, 8192, -2048}) {
    CAPTURE(bits);
    CHECK_THROWS_WITH(generate_key(Algorithm::rs256, bits),
                      Catch::Contains("unsupported RSA key size") && Catch::Contains("2048, 3072 or 4096"));
  }
  CHECK_THROWS_AS(generate_key(Algorithm::es256, 2048), CryptoError);
  CHECK_THROWS_WITH(generate_key(Algorithm::eddsa, 256), Catch::Contains("fixed size"));
}

TEST_CASE("crypto keys: PEM round trip for every algorithm", "[crypto][keys]") {
  for (Algorithm algorithm : {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa}) {
    CAPTURE(jose_name(algorithm));
    const KeyPair pair = generate_key(algorithm);

    const SecretString private_pem = private_key_to_pem(*pair.private_key);
    CHECK(private_pem.view().rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
    CHECK(private_pem.view().find("-----END PRIVATE KEY-----") != std::string_view::npos);
    const PkeyHandle private_again = load_private_key_pem(private_pem.view());
    CHECK(EVP_PKEY_eq(private_again.get(), pair.private_key.get()) == 1);
    CHECK(private_key_to_pem(*private_again).view() == private_pem.view());

    const std::string public_pem = public_key_to_pem(*pair.private_key);
    CHECK(public_pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    CHECK(public_pem.find("PRIVATE") == std::string::npos);
    const PkeyHandle public_again = load_public_key_pem(public_pem);
    CHECK(public_matches_private(*public_again, *pair.private_key));
    CHECK(describe_key(*public_again).algorithm == algorithm);
    CHECK(public_key_to_pem(*public_again) == public_pem);
  }
}

TEST_CASE("crypto keys: public_key_of drops the private half", "[crypto][keys]") {
  for (Algorithm algorithm : {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa}) {
    CAPTURE(jose_name(algorithm));
    const KeyPair pair = generate_key(algorithm);
    const PkeyHandle public_only = public_key_of(*pair.private_key);
    CHECK(public_matches_private(*public_only, *pair.private_key));
    CHECK(public_key_to_pem(*public_only) == public_key_to_pem(*pair.private_key));
    CHECK_THROWS_AS(private_key_to_pem(*public_only), CryptoError);
  }
}

TEST_CASE("crypto keys: mismatched pairs are detected", "[crypto][keys]") {
  const KeyPair rsa_a = generate_key(Algorithm::rs256);
  const KeyPair rsa_b = generate_key(Algorithm::rs256);
  const KeyPair ec_a = generate_key(Algorithm::es256);
  const KeyPair ec_b = generate_key(Algorithm::es256);
  const KeyPair ed_a = generate_key(Algorithm::eddsa);
  const KeyPair ed_b = generate_key(Algorithm::eddsa);

  CHECK(public_matches_private(*public_key_of(*rsa_a.private_key), *rsa_a.private_key));
  CHECK_FALSE(public_matches_private(*public_key_of(*rsa_b.private_key), *rsa_a.private_key));
  CHECK_FALSE(public_matches_private(*public_key_of(*ec_b.private_key), *ec_a.private_key));
  CHECK_FALSE(public_matches_private(*public_key_of(*ed_b.private_key), *ed_a.private_key));
  CHECK_FALSE(public_matches_private(*public_key_of(*ec_a.private_key), *rsa_a.private_key));
  CHECK_FALSE(public_matches_private(*public_key_of(*ed_a.private_key), *ec_a.private_key));
  // A cross-type comparison must not leave errors behind for the next caller.
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("crypto keys: bad private key PEM is rejected with a reason", "[crypto][keys]") {
  const KeyPair pair = generate_key(Algorithm::es256);
  const SecretString good = private_key_to_pem(*pair.private_key);
  const std::string text(good.view());
  const std::string body = pem_body_sample(text);

  SECTION("empty and garbage") {
    CHECK_THROWS_WITH(load_private_key_pem(""), Catch::Contains("not PEM"));
    CHECK_THROWS_WITH(load_private_key_pem("hello world"), Catch::Contains("not PEM"));
    CHECK_THROWS_AS(load_private_key_pem(std::string(4096, '\xff')), CryptoError);
  }
  SECTION("truncated") {
    for (std::size_t keep : {text.size() / 2, text.size() - 30, std::size_t{40}}) {
      CAPTURE(keep);
      const std::string message = message_of_private_load(text.substr(0, keep));
      CHECK_THAT(message, Catch::Contains("truncated"));
      CHECK(message.find(body) == std::string::npos);
    }
  }
  SECTION("lines missing between BEGIN and END") {
    const std::size_t second_line = text.find('\n') + 1;
    std::string shortened = text;
    shortened.erase(second_line, text.find('\n', second_line) + 1 - second_line);
    CHECK_THROWS_WITH(load_private_key_pem(shortened), Catch::Contains("cannot parse"));
  }
  SECTION("corrupt body") {
    std::string corrupt = text;
    corrupt.replace(corrupt.find('\n') + 1, 8, "!!!!!!!!");
    CHECK_THROWS_AS(load_private_key_pem(corrupt), CryptoError);
    std::string wrong_structure = text;
    wrong_structure.replace(wrong_structure.find('\n') + 1, 4, "AAAA");
    CHECK_THROWS_AS(load_private_key_pem(wrong_structure), CryptoError);
  }
  SECTION("a public key where a private key is expected") {
    CHECK_THROWS_WITH(load_private_key_pem(public_key_to_pem(*pair.private_key)), Catch::Contains("\"PUBLIC KEY\""));
  }
  SECTION("a private key where a public key is expected") {
    const std::string message = message_of_public_load(text);
    CHECK_THAT(message, Catch::Contains("private key"));
    CHECK(message.find(body) == std::string::npos);
  }
  SECTION("garbage and truncated public key PEM") {
    const std::string public_pem = public_key_to_pem(*pair.private_key);
    CHECK_THROWS_AS(load_public_key_pem(""), CryptoError);
    CHECK_THROWS_AS(load_public_key_pem(public_pem.substr(0, public_pem.size() / 2)), CryptoError);
    CHECK_THROWS_WITH(load_public_key_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                      Catch::Contains("\"CERTIFICATE\""));
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("crypto keys: keys from the openssl command line", "[crypto][keys][openssl-cli]") {
  const ScratchDir dir;

  SECTION("traditional RSA PEM loads") {
    const std::string pem = openssl_generated(dir, "rsa.pem", "genrsa", "-traditional 2048");
    REQUIRE(pem.find("BEGIN RSA PRIVATE KEY") != std::string::npos);
    CHECK(describe_key(*load_private_key_pem(pem)).bits == 2048);
  }
  SECTION("EC PARAMETERS followed by EC PRIVATE KEY loads") {
    const std::string pem = openssl_generated(dir, "ec.pem", "ecparam", "-name prime256v1 -genkey");
    REQUIRE(pem.find("BEGIN EC PARAMETERS") != std::string::npos);
    CHECK(describe_key(*load_private_key_pem(pem)).algorithm == Algorithm::es256);
  }
  SECTION("encrypted PKCS#8 is refused without prompting") {
    const std::string pem =
        openssl_generated(dir, "enc.pem", "genpkey", "-algorithm ED25519 -aes-256-cbc -pass pass:correct-horse");
    REQUIRE(pem.find("BEGIN ENCRYPTED PRIVATE KEY") != std::string::npos);
    CHECK_THROWS_WITH(load_private_key_pem(pem), Catch::Contains("encrypted"));
  }
  SECTION("encrypted traditional PEM is refused without prompting") {
    openssl_generated(dir, "plain.pem", "genrsa", "-traditional 2048");
    const std::string pem = openssl_generated(
        dir, "enc.pem", "rsa", "-traditional -aes128 -passout pass:correct-horse -in " + dir.file("plain.pem"));
    REQUIRE(pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos);
    CHECK_THROWS_WITH(load_private_key_pem(pem), Catch::Contains("encrypted"));
  }
  SECTION("unsupported key types are named") {
    const std::string p384 =
        openssl_generated(dir, "p384.pem", "genpkey", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384");
    CHECK_THROWS_WITH(load_private_key_pem(p384), Catch::Contains("unsupported EC curve"));
    const std::string ed448 = openssl_generated(dir, "ed448.pem", "genpkey", "-algorithm ED448");
    CHECK_THROWS_WITH(load_private_key_pem(ed448), Catch::Contains("unsupported key type ED448"));
    const std::string pss = openssl_generated(dir, "pss.pem", "genpkey", "-algorithm RSA-PSS");
    CHECK_THROWS_WITH(load_private_key_pem(pss), Catch::Contains("unsupported key type"));
  }
  SECTION("our public PEM equals what openssl derives from our private PEM") {
    for (Algorithm algorithm : {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa}) {
      CAPTURE(jose_name(algorithm));
      const KeyPair pair = generate_key(algorithm);
      dir.write("private.pem", private_key_to_pem(*pair.private_key).view());
      const std::string public_path = dir.write("public.pem", public_key_to_pem(*pair.private_key));
      CHECK(run_quietly("openssl pkey -pubin -in " + public_path + " -noout") == 0);
      CHECK(run_and_capture("openssl pkey -in " + dir.file("private.pem") + " -pubout") ==
            public_key_to_pem(*pair.private_key));
    }
  }
  SECTION("the openssl cross-check can fail") {
    const std::string garbage =
        dir.write("garbage.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    CHECK(run_quietly("openssl pkey -pubin -in " + garbage + " -noout") != 0);
  }
}

TEST_CASE("crypto pem: form names and flag values", "[crypto][keys][pem]") {
  CHECK(parse_private_key_form("pkcs8") == PrivateKeyForm::pkcs8);
  CHECK(parse_private_key_form("pkcs1") == PrivateKeyForm::pkcs1);
  CHECK(parse_private_key_form("sec1") == PrivateKeyForm::sec1);
  for (const char* other : {"", "PKCS8", "pkcs#8", "pem", "traditional"}) CHECK_FALSE(parse_private_key_form(other));
  CHECK(form_name(PrivateKeyForm::pkcs8) == "PKCS#8");
  CHECK(form_name(PrivateKeyForm::pkcs1) == "PKCS#1");
  CHECK(form_name(PrivateKeyForm::sec1) == "SEC1");
}

TEST_CASE("crypto pem: keys made by the openssl command line in either form load and report their form",
          "[crypto][keys][pem][openssl-cli]") {
  const ScratchDir dir;
  struct Case {
    const char* how;
    std::string subcommand, arguments;
    PrivateKeyForm form;
    const char* label;
  };
  const std::vector<Case> cases = {
      {"genrsa -traditional (PKCS#1)", "genrsa", "-traditional 2048", PrivateKeyForm::pkcs1, "RSA PRIVATE KEY"},
      {"genpkey RSA (PKCS#8)", "genpkey", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", PrivateKeyForm::pkcs8,
       "PRIVATE KEY"},
      {"genpkey EC (PKCS#8)", "genpkey", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", PrivateKeyForm::pkcs8,
       "PRIVATE KEY"},
      {"ecparam -genkey (SEC1)", "ecparam", "-name prime256v1 -genkey", PrivateKeyForm::sec1, "EC PRIVATE KEY"},
      {"genpkey ED25519 (PKCS#8)", "genpkey", "-algorithm ED25519", PrivateKeyForm::pkcs8, "PRIVATE KEY"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.how);
    const std::string pem = openssl_generated(dir, "key.pem", c.subcommand, c.arguments);
    REQUIRE(pem.find(std::string("-----BEGIN ") + c.label + "-----") != std::string::npos);
    CHECK(private_key_pem_form(pem) == c.form);
    const LoadedPrivateKey loaded = load_private_key_pem_with_form(pem);
    CHECK(loaded.form == c.form);
    // Written back in the form it was found in, openssl reads the same key.
    const SecretString again = private_key_to_pem(*loaded.key, loaded.form);
    CHECK(private_key_pem_form(again.view()) == c.form);
    dir.write("again.pem", again.view());
    CHECK(run_and_capture("openssl pkey -in " + dir.file("again.pem") + " -pubout") ==
          run_and_capture("openssl pkey -in " + dir.file("key.pem") + " -pubout"));
  }
}

// Keys are decoded first with the structure and key type their label names
// (fast), then by OpenSSL's generic reader. A body that does not match its label
// must be refused as the generic reader refuses it, not read as something else.
TEST_CASE("crypto pem: a key whose body does not match its label is refused, without key material",
          "[crypto][keys][pem][openssl-cli]") {
  const ScratchDir dir;
  const auto relabel = [](std::string pem, const std::string& from, const std::string& to) {
    for (std::size_t at = pem.find(from); at != std::string::npos; at = pem.find(from, at + to.size())) {
      pem.replace(at, from.size(), to);
    }
    return pem;
  };
  const std::string sec1 = openssl_generated(dir, "sec1.pem", "ecparam", "-name prime256v1 -genkey -noout");
  const std::string pkcs1 = openssl_generated(dir, "pkcs1.pem", "genrsa", "-traditional 2048");
  const std::string pkcs8 =
      openssl_generated(dir, "pkcs8.pem", "genpkey", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  const std::vector<std::pair<const char*, std::string>> mislabelled = {
      {"SEC1 EC body labelled RSA PRIVATE KEY", relabel(sec1, "EC PRIVATE KEY", "RSA PRIVATE KEY")},
      {"PKCS#1 RSA body labelled PRIVATE KEY", relabel(pkcs1, "RSA PRIVATE KEY", "PRIVATE KEY")},
      {"PKCS#8 EC body labelled RSA PRIVATE KEY", relabel(pkcs8, " PRIVATE KEY-----", " RSA PRIVATE KEY-----")},
  };
  for (const auto& [how, pem] : mislabelled) {
    CAPTURE(how);
    const std::string message = message_of_private_load(pem);
    CHECK_THAT(message, Catch::Contains("cannot parse the private key PEM"));
    CHECK(message.find(pem_body_sample(pem)) == std::string::npos);
  }
  // OpenSSL's generic reader takes a PKCS#8 body under "EC PRIVATE KEY"; so does
  // rotator, which then keeps the key in the form the label names.
  const LoadedPrivateKey generic = load_private_key_pem_with_form(relabel(pkcs8, " PRIVATE KEY", " EC PRIVATE KEY"));
  CHECK(describe_key(*generic.key).algorithm == Algorithm::es256);
  CHECK(generic.form == PrivateKeyForm::sec1);
  // The same bodies under their own labels load: what failed was the label.
  CHECK(describe_key(*load_private_key_pem(sec1)).algorithm == Algorithm::es256);
  CHECK(describe_key(*load_private_key_pem(pkcs1)).algorithm == Algorithm::rs256);
  CHECK(describe_key(*load_private_key_pem(pkcs8)).algorithm == Algorithm::es256);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("crypto pem: an RSA key is written as PKCS#1 or PKCS#8 exactly as openssl converts it",
          "[crypto][keys][pem][openssl-cli]") {
  const ScratchDir dir;
  const KeyPair pair = generate_key(Algorithm::rs256);
  const SecretString pkcs8 = private_key_to_pem(*pair.private_key);  // the default
  const SecretString pkcs1 = private_key_to_pem(*pair.private_key, PrivateKeyForm::pkcs1);
  CHECK(pkcs8.view().starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(pkcs1.view().starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
  dir.write("pkcs8.pem", pkcs8.view());
  dir.write("pkcs1.pem", pkcs1.view());
  // DER is deterministic, so openssl's own conversions must give the same bytes.
  CHECK(run_and_capture("openssl rsa -in " + dir.file("pkcs8.pem") + " -traditional") == pkcs1.view());
  CHECK(run_and_capture("openssl pkey -in " + dir.file("pkcs1.pem")) == pkcs8.view());
  CHECK(run_quietly("openssl rsa -check -noout -in " + dir.file("pkcs1.pem")) == 0);
  // Both read back as the same key, each with its form.
  const auto from1 = load_private_key_pem_with_form(pkcs1.view());
  const auto from8 = load_private_key_pem_with_form(pkcs8.view());
  CHECK(from1.form == PrivateKeyForm::pkcs1);
  CHECK(from8.form == PrivateKeyForm::pkcs8);
  CHECK(EVP_PKEY_eq(from1.key.get(), pair.private_key.get()) == 1);
  CHECK(EVP_PKEY_eq(from8.key.get(), pair.private_key.get()) == 1);
  CHECK(key_thumbprint(*from1.key) == key_thumbprint(*from8.key));
  // And openssl converts the other way to what we write.
  openssl_generated(dir, "converted.pem", "pkey", "-in " + dir.file("pkcs1.pem"));
  CHECK(private_key_pem_form(dir.read("converted.pem")) == PrivateKeyForm::pkcs8);
}

TEST_CASE("crypto pem: a form that does not exist for the key type is refused", "[crypto][keys][pem]") {
  const KeyPair ec = generate_key(Algorithm::es256);
  const KeyPair ed = generate_key(Algorithm::eddsa);
  const KeyPair rsa = generate_key(Algorithm::rs256);
  CHECK_THROWS_WITH(private_key_to_pem(*ec.private_key, PrivateKeyForm::pkcs1), Catch::Contains("RSA keys only"));
  CHECK_THROWS_WITH(private_key_to_pem(*ed.private_key, PrivateKeyForm::pkcs1), Catch::Contains("RSA keys only"));
  CHECK_THROWS_WITH(private_key_to_pem(*rsa.private_key, PrivateKeyForm::sec1), Catch::Contains("EC keys only"));
  CHECK_THROWS_WITH(private_key_to_pem(*ed.private_key, PrivateKeyForm::sec1), Catch::Contains("EC keys only"));
  CHECK(private_key_pem_form(private_key_to_pem(*ec.private_key, PrivateKeyForm::sec1).view()) == PrivateKeyForm::sec1);
  // A public key has no private form at all.
  CHECK_THROWS_AS(private_key_to_pem(*public_key_of(*rsa.private_key), PrivateKeyForm::pkcs1), CryptoError);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("crypto pem: the form of what is not an unencrypted private key is an error without key material",
          "[crypto][keys][pem]") {
  CHECK_THROWS_WITH(private_key_pem_form(""), Catch::Contains("not PEM"));
  CHECK_THROWS_WITH(private_key_pem_form("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                    Catch::Contains("\"PUBLIC KEY\""));
  CHECK_THROWS_WITH(
      private_key_pem_form("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"),
      Catch::Contains("encrypted"));
  // A label that does not match the key inside: an EC key relabelled as PKCS#1.
  const KeyPair ec = generate_key(Algorithm::es256);
  std::string relabelled(private_key_to_pem(*ec.private_key, PrivateKeyForm::sec1).view());
  const std::string body = pem_body_sample(relabelled);
  for (std::size_t at; (at = relabelled.find("EC PRIVATE KEY")) != std::string::npos;) {
    relabelled.replace(at, 14, "RSA PRIVATE KEY");
  }
  REQUIRE(private_key_pem_form(relabelled) == PrivateKeyForm::pkcs1);
  const std::string message = message_of_private_load(relabelled);
  CHECK(message.find(body) == std::string::npos);
  CHECK(ERR_peek_error() == 0);
}
