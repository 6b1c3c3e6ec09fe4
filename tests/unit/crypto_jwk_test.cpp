#include <openssl/evp.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "crypto/random.h"
#include "util/base64.h"

#include "test_support.h"

namespace {

using namespace rotator::crypto;
using nlohmann::json;
namespace fs = std::filesystem;

// RFC 7638 section 3.1 (the RFC 7517 appendix A.1 RSA key).
const json rfc7638_rsa_jwk = {
    {"kty", "RSA"},
    {"n",
     "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
     "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
     "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
     "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
    {"e", "AQAB"},
    {"alg", "RS256"},
    {"kid", "2011-04-29"},
};
const std::string rfc7638_thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

// RFC 8037 appendix A.2/A.3.
const json rfc8037_ed25519_jwk = {
    {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
const std::string rfc8037_thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

std::string decoded(const json& jwk, const char* member) {
  const auto bytes = rotator::util::base64url_decode(jwk.at(member).get<std::string>());
  REQUIRE(bytes.has_value());
  return *bytes;
}

std::string to_upper_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

/// Standard output of a shell command; fails the test on a non-zero exit.
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

/// A public PEM in a scratch directory of its own, removed afterwards.
class TempPublicPem {
 public:
  explicit TempPublicPem(const EVP_PKEY& key) : path_(dir_.write("public.pem", public_key_to_pem(key))) {}
  const std::string& path() const { return path_; }

 private:
  rotator::testing::ScratchDir dir_;
  std::string path_;
};

std::string set_error(const std::string& text) {
  try {
    parse_jwk_set(text);
  } catch (const CryptoError& error) {
    return error.what();
  }
  FAIL("parse_jwk_set accepted invalid input");
  return {};
}

json set_with(const json& entry) {
  return json{{"keys", json::array({entry})}};
}

}  // namespace

TEST_CASE("crypto jwk: RFC 7638 thumbprint vector", "[crypto][jwk]") {
  CHECK(jwk_thumbprint(rfc7638_rsa_jwk) == rfc7638_thumbprint);
  // Optional members do not take part.
  json decorated = rfc7638_rsa_jwk;
  decorated["use"] = "sig";
  decorated.erase("kid");
  CHECK(jwk_thumbprint(decorated) == rfc7638_thumbprint);
  // Re-encoding the key from OpenSSL's view reproduces the same members.
  const PkeyHandle key = public_key_from_jwk(rfc7638_rsa_jwk);
  CHECK(key_thumbprint(*key) == rfc7638_thumbprint);
  CHECK(public_jwk(*key, "")["n"] == rfc7638_rsa_jwk["n"]);
  CHECK(describe_key(*key).bits == 2048);
}

TEST_CASE("crypto jwk: RFC 8037 Ed25519 thumbprint vector", "[crypto][jwk]") {
  CHECK(jwk_thumbprint(rfc8037_ed25519_jwk) == rfc8037_thumbprint);
  CHECK(key_thumbprint(*public_key_from_jwk(rfc8037_ed25519_jwk)) == rfc8037_thumbprint);
}

TEST_CASE("crypto jwk: thumbprint input errors", "[crypto][jwk]") {
  CHECK_THROWS_AS(jwk_thumbprint(json::array()), CryptoError);
  CHECK_THROWS_AS(jwk_thumbprint(json{{"kty", "oct"}, {"k", "AAAA"}}), CryptoError);
  CHECK_THROWS_WITH(jwk_thumbprint(json{{"kty", "RSA"}, {"n", "AQAB"}}), Catch::Contains("\"e\""));
  CHECK_THROWS_AS(jwk_thumbprint(json{{"kty", "EC"}, {"crv", "P-256"}, {"x", 1}, {"y", "A"}}), CryptoError);
}

TEST_CASE("crypto jwk: public JWK members for every algorithm", "[crypto][jwk]") {
  SECTION("RSA") {
    const KeyPair pair = generate_key(Algorithm::rs256);
    const json jwk = public_jwk(*pair.private_key, "key-1");
    CHECK(jwk["kty"] == "RSA");
    CHECK(jwk["alg"] == "RS256");
    CHECK(jwk["use"] == "sig");
    CHECK(jwk["kid"] == "key-1");
    CHECK(jwk["e"] == "AQAB");
    CHECK(decoded(jwk, "n").size() == 256);
    CHECK(static_cast<unsigned char>(decoded(jwk, "n")[0]) != 0);
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) CHECK_FALSE(jwk.contains(secret));
    const TempPublicPem pem(*pair.private_key);
    CHECK(run_and_capture("openssl rsa -pubin -in " + pem.path() + " -noout -modulus") ==
          "Modulus=" + to_upper_hex(decoded(jwk, "n")) + "\n");
  }
  SECTION("EC P-256") {
    const KeyPair pair = generate_key(Algorithm::es256);
    const json jwk = public_jwk(*pair.private_key, "key-2");
    CHECK(jwk["kty"] == "EC");
    CHECK(jwk["crv"] == "P-256");
    CHECK(jwk["alg"] == "ES256");
    CHECK_FALSE(jwk.contains("d"));
    CHECK(decoded(jwk, "x").size() == 32);
    CHECK(decoded(jwk, "y").size() == 32);
    // The SubjectPublicKeyInfo DER ends with the uncompressed point 04||x||y.
    const TempPublicPem pem(*pair.private_key);
    const std::string der = run_and_capture("openssl pkey -pubin -in " + pem.path() + " -outform DER");
    CHECK(der.substr(der.size() - 65) == "\x04" + decoded(jwk, "x") + decoded(jwk, "y"));
  }
  SECTION("Ed25519") {
    const KeyPair pair = generate_key(Algorithm::eddsa);
    const json jwk = public_jwk(*pair.private_key, "");
    CHECK(jwk["kty"] == "OKP");
    CHECK(jwk["crv"] == "Ed25519");
    CHECK(jwk["alg"] == "EdDSA");
    CHECK_FALSE(jwk.contains("kid"));
    CHECK_FALSE(jwk.contains("d"));
    const TempPublicPem pem(*pair.private_key);
    const std::string der = run_and_capture("openssl pkey -pubin -in " + pem.path() + " -outform DER");
    CHECK(der.substr(der.size() - 32) == decoded(jwk, "x"));
  }
}

TEST_CASE("crypto jwk: JWK to key round trip", "[crypto][jwk]") {
  for (Algorithm algorithm : {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa}) {
    CAPTURE(jose_name(algorithm));
    const KeyPair pair = generate_key(algorithm);
    const json jwk = public_jwk(*pair.private_key, "k");
    const PkeyHandle rebuilt = public_key_from_jwk(jwk);
    CHECK(public_matches_private(*rebuilt, *pair.private_key));
    CHECK(key_thumbprint(*rebuilt) == key_thumbprint(*pair.private_key));
    CHECK(jwk_thumbprint(jwk) == key_thumbprint(*pair.private_key));
    CHECK(key_thumbprint(*pair.private_key).size() == 43);
  }
}

TEST_CASE("crypto jwk: JWK set build, parse and find", "[crypto][jwk]") {
  const KeyPair rsa = generate_key(Algorithm::rs256);
  const KeyPair ec = generate_key(Algorithm::es256);
  const KeyPair ed = generate_key(Algorithm::eddsa);
  const std::vector<json> keys{public_jwk(*rsa.private_key, "rsa"), public_jwk(*ec.private_key, "ec"),
                               public_jwk(*ed.private_key, "ed")};
  const json set = make_jwk_set(keys);
  REQUIRE(set["keys"].size() == 3);

  const std::vector<json> parsed = parse_jwk_set(set.dump());
  CHECK(parsed == keys);
  REQUIRE(find_jwk(parsed, "ec") != nullptr);
  CHECK((*find_jwk(parsed, "ec"))["kty"] == "EC");
  CHECK(find_jwk(parsed, "missing") == nullptr);
  CHECK(parse_jwk_set(R"({"keys":[]})").empty());
  // The RFC example key (no "use") is accepted too.
  CHECK(parse_jwk_set(set_with(rfc7638_rsa_jwk).dump()).size() == 1);
}

TEST_CASE("crypto jwk: invalid JWK sets are rejected", "[crypto][jwk]") {
  const KeyPair ec = generate_key(Algorithm::es256);
  const json good = public_jwk(*ec.private_key, "ec");
  const std::string good_text = set_with(good).dump();

  SECTION("not JSON, truncated, wrong shape") {
    CHECK_THAT(set_error(""), Catch::Contains("not valid JSON"));
    CHECK_THAT(set_error("not json"), Catch::Contains("not valid JSON"));
    // nlohmann throws out_of_range, not parse_error, for this (found by jwk_fuzz).
    CHECK_THAT(set_error(R"({"keys":[{"kty":"RSA","e":1E5555}]})"), Catch::Contains("not valid JSON"));
    const std::string truncated_message = set_error(good_text.substr(0, good_text.size() - 5));
    CHECK_THAT(truncated_message, Catch::Contains("not valid JSON"));
    CHECK(truncated_message.find(good["x"].get<std::string>()) == std::string::npos);
    CHECK_THAT(set_error("[]"), Catch::Contains("\"keys\" array"));
    CHECK_THAT(set_error(R"({"keys":{}})"), Catch::Contains("\"keys\" array"));
    CHECK_THAT(set_error(R"({"keys":[1]})"), Catch::Contains("key #0"));
  }
  SECTION("bad members") {
    auto rejects = [&](const json& entry, const char* expected) {
      CAPTURE(entry.dump());
      CHECK_THAT(set_error(set_with(entry).dump()), Catch::Contains(expected));
    };
    json entry = good;
    entry.erase("y");
    rejects(entry, "\"y\"");
    entry = good;
    entry["x"] = "not*base64";
    rejects(entry, "\"x\"");
    entry = good;
    entry["x"] = good["x"].get<std::string>() + "=";
    rejects(entry, "\"x\"");
    entry = good;
    entry["x"] = rotator::util::base64url_encode(decoded(good, "x").substr(1));
    rejects(entry, "32 bytes");
    entry = good;
    entry["x"] = rotator::util::base64url_encode(std::string(32, '\x01'));
    rejects(entry, "valid public key");  // not a point on P-256
    entry = good;
    entry["crv"] = "P-384";
    rejects(entry, "\"crv\"");
    entry = good;
    entry["kty"] = "oct";
    rejects(entry, "unsupported JWK key type");
    entry = good;
    entry["d"] = "AAAA";
    rejects(entry, "private key members");
    entry = good;
    entry["use"] = "enc";
    rejects(entry, "\"use\"");
    entry = good;
    entry["alg"] = "RS256";
    rejects(entry, "\"alg\"");
    entry = good;
    entry["kid"] = 7;
    rejects(entry, "\"kid\"");
    json rsa = rfc7638_rsa_jwk;
    rsa["n"] = "AQAB=";
    rejects(rsa, "\"n\"");
    rsa = rfc7638_rsa_jwk;
    rsa["e"] = "";
    rejects(rsa, "\"e\"");
  }
  SECTION("duplicate kid") {
    const json twice{{"keys", json::array({good, good})}};
    CHECK_THAT(set_error(twice.dump()), Catch::Contains("duplicate") && Catch::Contains("key #1"));
  }
}

TEST_CASE("crypto jwk: the provider check is remembered for valid keys only", "[crypto][jwk]") {
  // public_key_from_jwk remembers the keys that passed the provider's costly
  // check; what failed it must fail every time, and a key that differs in one
  // member from a remembered one is checked afresh.
  const KeyPair rsa = generate_key(Algorithm::rs256);
  const json good = public_jwk(*rsa.private_key, "rsa");
  for (int round = 0; round < 3; ++round) {
    CHECK(key_thumbprint(*public_key_from_jwk(good)) == key_thumbprint(*rsa.private_key));
  }
  std::string modulus = decoded(good, "n");
  modulus.back() = static_cast<char>(modulus.back() & ~1);  // an even modulus: no RSA key
  json even = good;
  even["n"] = rotator::util::base64url_encode(modulus);
  for (int round = 0; round < 3; ++round) {
    CHECK_THROWS_WITH(public_key_from_jwk(even), Catch::Contains("valid public key"));
  }
  // Skipping the check (for keys proven by their private half) does not record them.
  static_cast<void>(public_key_from_jwk(even, KeyCheck::skip_provider_check));
  CHECK_THROWS_WITH(public_key_from_jwk(even), Catch::Contains("valid public key"));
}
