#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/jws_signature.h"
#include "crypto/jwt.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "crypto/random.h"
#include "util/base64.h"

#include "test_support.h"

namespace {

using namespace rotator::crypto;
using nlohmann::json;
using std::chrono::seconds;
using std::chrono::system_clock;
namespace fs = std::filesystem;

const system_clock::time_point fixed_now = system_clock::time_point(seconds(1'700'000'000));
constexpr long long fixed_now_seconds = 1'700'000'000;

const Algorithm all_algorithms[] = {Algorithm::rs256, Algorithm::es256, Algorithm::eddsa};

/// The three dot-separated parts of a compact token.
struct TokenParts {
  std::string header;
  std::string payload;
  std::string signature;
  std::string joined() const { return header + "." + payload + "." + signature; }
};

TokenParts split(const std::string& token) {
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  REQUIRE(second != std::string::npos);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

std::string b64(std::string_view bytes) {
  return rotator::util::base64url_encode(bytes);
}

std::string unb64(std::string_view text) {
  const auto bytes = rotator::util::base64url_decode(text);
  REQUIRE(bytes.has_value());
  return *bytes;
}

/// A token signed over arbitrary header and payload JSON, bypassing sign_jwt's checks.
std::string hand_signed(const json& header, const json& claims, const EVP_PKEY& key, Algorithm algorithm) {
  const std::string input = b64(header.dump()) + "." + b64(claims.dump());
  return input + "." + b64(jws_sign(key, algorithm, input));
}

json header_for(Algorithm algorithm) {
  return {{"alg", jose_name(algorithm)}, {"typ", "JWT"}};
}

std::optional<JwtFailure> failure_of(const std::string& token, const EVP_PKEY& key,
                                     const JwtVerifyOptions& options = {}) {
  return verify_jwt(token, key, fixed_now, options).failure;
}

using rotator::testing::ScratchDir;

int run_quietly(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Test-side R||S <-> DER conversion, independent of jws_signature.cpp, so the
// openssl CLI (which speaks DER) can check our ES256 signatures.
std::string raw_to_der(std::string_view raw) {
  REQUIRE(raw.size() == 64);
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  REQUIRE(ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr)) == 1);
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  REQUIRE(length > 0);
  std::string result(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return result;
}

std::string der_to_raw(std::string_view der) {
  const auto* position = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &position, static_cast<long>(der.size())), ECDSA_SIG_free);
  REQUIRE(sig != nullptr);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) == 32);
  REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) == 32);
  return raw;
}

}  // namespace

TEST_CASE("crypto jwt: sign then verify for every algorithm", "[crypto][jwt]") {
  for (Algorithm algorithm : all_algorithms) {
    CAPTURE(jose_name(algorithm));
    const KeyPair pair = generate_key(algorithm);
    const PkeyHandle public_key = public_key_of(*pair.private_key);
    const json claims{{"sub", "admin"}, {"iat", fixed_now_seconds}, {"exp", fixed_now_seconds + 3600}};

    const std::string token = sign_jwt(nullptr, claims, *pair.private_key, algorithm);
    const JwtVerification result = verify_jwt(token, *public_key, fixed_now);
    CHECK(result.ok());
    CHECK(result.claims == claims);
    CHECK(result.header["alg"] == jose_name(algorithm));
    CHECK(result.header["typ"] == "JWT");
    CHECK(result.header["kid"] == key_thumbprint(*pair.private_key));
    CHECK(token.find('=') == std::string::npos);

    const DecodedJwt decoded = decode_jwt_unverified(token);
    CHECK(decoded.header == result.header);
    CHECK(decoded.claims == claims);

    // Verifying with a key rebuilt from the published JWK works as well.
    const PkeyHandle from_jwk = public_key_from_jwk(public_jwk(*pair.private_key, "k"));
    CHECK(verify_jwt(token, *from_jwk, fixed_now).ok());
  }
}

TEST_CASE("crypto jwt: ES256 signatures are raw 64-byte R||S", "[crypto][jwt]") {
  const KeyPair pair = generate_key(Algorithm::es256);
  for (int i = 0; i < 20; ++i) {
    const std::string token = sign_jwt(nullptr, json{{"n", i}}, *pair.private_key, Algorithm::es256);
    CHECK(unb64(split(token).signature).size() == 64);
  }
  CHECK(unb64(split(sign_jwt(nullptr, json::object(), *generate_key(Algorithm::eddsa).private_key, Algorithm::eddsa))
                  .signature)
            .size() == 64);
}

TEST_CASE("crypto jwt: RFC 8037 A.4 Ed25519 known answer", "[crypto][jwt]") {
  const std::string d = unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
  const PkeyHandle key(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr,
                                                       reinterpret_cast<const unsigned char*>(d.data()), d.size()));
  REQUIRE(key);
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const std::string expected = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
  CHECK(b64(jws_sign(*key, Algorithm::eddsa, input)) == expected);
  CHECK(jws_verify(*key, Algorithm::eddsa, input, unb64(expected)));
  CHECK_FALSE(jws_verify(*key, Algorithm::eddsa, input + "x", unb64(expected)));
}

TEST_CASE("crypto jwt: header handling when signing", "[crypto][jwt]") {
  const KeyPair pair = generate_key(Algorithm::es256);
  const json claims{{"sub", "x"}};

  SECTION("explicit kid and extra members are kept") {
    const std::string token =
        sign_jwt(json{{"kid", "admin-2024"}, {"x-extra", 1}}, claims, *pair.private_key, Algorithm::es256);
    const DecodedJwt decoded = decode_jwt_unverified(token);
    CHECK(decoded.header["kid"] == "admin-2024");
    CHECK(decoded.header["x-extra"] == 1);
    CHECK(decoded.header["alg"] == "ES256");
  }
  SECTION("conflicting or unsupported header members throw") {
    CHECK_THROWS_AS(sign_jwt(json{{"alg", "none"}}, claims, *pair.private_key, Algorithm::es256), CryptoError);
    CHECK_THROWS_AS(sign_jwt(json{{"crit", {"b64"}}}, claims, *pair.private_key, Algorithm::es256), CryptoError);
    CHECK_THROWS_AS(sign_jwt(json{{"kid", 5}}, claims, *pair.private_key, Algorithm::es256), CryptoError);
    CHECK_THROWS_AS(sign_jwt(json::array(), claims, *pair.private_key, Algorithm::es256), CryptoError);
  }
  SECTION("claims must be an object of valid UTF-8") {
    CHECK_THROWS_AS(sign_jwt(nullptr, json::array(), *pair.private_key, Algorithm::es256), CryptoError);
    CHECK_THROWS_AS(sign_jwt(nullptr, json{{"sub", "\xff\xfe"}}, *pair.private_key, Algorithm::es256), CryptoError);
  }
  SECTION("the key must fit the algorithm and be private") {
    CHECK_THROWS_WITH(sign_jwt(nullptr, claims, *pair.private_key, Algorithm::rs256),
                      Catch::Contains("cannot be used for RS256"));
    CHECK_THROWS_AS(sign_jwt(nullptr, claims, *public_key_of(*pair.private_key), Algorithm::es256), CryptoError);
  }
}

TEST_CASE("crypto jwt: tampering is detected", "[crypto][jwt]") {
  for (Algorithm algorithm : all_algorithms) {
    CAPTURE(jose_name(algorithm));
    const KeyPair pair = generate_key(algorithm);
    const std::string token = sign_jwt(nullptr, json{{"sub", "reader"}}, *pair.private_key, algorithm);
    const TokenParts parts = split(token);

    TokenParts payload_swapped = parts;
    payload_swapped.payload = b64(json{{"sub", "admin"}}.dump());
    CHECK(failure_of(payload_swapped.joined(), *pair.private_key) == JwtFailure::bad_signature);

    TokenParts header_changed = parts;
    json header = json::parse(unb64(parts.header));
    header["kid"] = "other";
    header_changed.header = b64(header.dump());
    CHECK(failure_of(header_changed.joined(), *pair.private_key) == JwtFailure::bad_signature);

    std::string signature = unb64(parts.signature);
    signature[0] = static_cast<char>(signature[0] ^ 0x01);
    TokenParts signature_flipped = parts;
    signature_flipped.signature = b64(signature);
    CHECK(failure_of(signature_flipped.joined(), *pair.private_key) == JwtFailure::bad_signature);

    TokenParts signature_truncated = parts;
    signature_truncated.signature = b64(unb64(parts.signature).substr(1));
    CHECK(failure_of(signature_truncated.joined(), *pair.private_key) == JwtFailure::bad_signature);

    TokenParts signature_empty = parts;
    signature_empty.signature.clear();
    CHECK(failure_of(signature_empty.joined(), *pair.private_key) == JwtFailure::bad_signature);

    // Failed verification still reports what the token claimed.
    const JwtVerification failed = verify_jwt(payload_swapped.joined(), *pair.private_key, fixed_now);
    CHECK(failed.claims["sub"] == "admin");
    CHECK_FALSE(failed.ok());
  }
}

TEST_CASE("crypto jwt: wrong keys are rejected", "[crypto][jwt]") {
  const KeyPair signer = generate_key(Algorithm::rs256);
  const KeyPair other_rsa = generate_key(Algorithm::rs256);
  const KeyPair ec = generate_key(Algorithm::es256);
  const KeyPair ed = generate_key(Algorithm::eddsa);
  const std::string token = sign_jwt(nullptr, json{{"sub", "x"}}, *signer.private_key, Algorithm::rs256);

  CHECK(failure_of(token, *public_key_of(*other_rsa.private_key)) == JwtFailure::bad_signature);
  CHECK(failure_of(token, *public_key_of(*ec.private_key)) == JwtFailure::algorithm_mismatch);
  CHECK(failure_of(token, *public_key_of(*ed.private_key)) == JwtFailure::algorithm_mismatch);

  const std::string ec_token = sign_jwt(nullptr, json{{"sub", "x"}}, *ec.private_key, Algorithm::es256);
  CHECK(failure_of(ec_token, *public_key_of(*generate_key(Algorithm::es256).private_key)) == JwtFailure::bad_signature);
}

TEST_CASE("crypto jwt: kid expectations", "[crypto][jwt]") {
  const KeyPair pair = generate_key(Algorithm::eddsa);
  const std::string token = sign_jwt(json{{"kid", "current"}}, json::object(), *pair.private_key, Algorithm::eddsa);
  JwtVerifyOptions options;
  options.expected_kid = "current";
  CHECK(failure_of(token, *pair.private_key, options) == std::nullopt);
  options.expected_kid = "previous";
  CHECK(failure_of(token, *pair.private_key, options) == JwtFailure::kid_mismatch);

  const std::string without_kid =
      hand_signed(header_for(Algorithm::eddsa), json::object(), *pair.private_key, Algorithm::eddsa);
  CHECK(failure_of(without_kid, *pair.private_key) == std::nullopt);
  CHECK(failure_of(without_kid, *pair.private_key, options) == JwtFailure::kid_mismatch);
}

TEST_CASE("crypto jwt: exp and nbf against the injected clock", "[crypto][jwt]") {
  const KeyPair pair = generate_key(Algorithm::es256);
  auto token_with = [&](const json& claims) { return sign_jwt(nullptr, claims, *pair.private_key, Algorithm::es256); };
  JwtVerifyOptions lenient;
  lenient.leeway = seconds(30);

  const std::string expired = token_with({{"exp", fixed_now_seconds - 10}});
  CHECK(failure_of(expired, *pair.private_key) == JwtFailure::expired);
  CHECK(failure_of(expired, *pair.private_key, lenient) == std::nullopt);
  CHECK(failure_of(token_with({{"exp", fixed_now_seconds - 31}}), *pair.private_key, lenient) == JwtFailure::expired);
  CHECK(failure_of(token_with({{"exp", fixed_now_seconds}}), *pair.private_key) == JwtFailure::expired);
  CHECK(failure_of(token_with({{"exp", fixed_now_seconds + 1}}), *pair.private_key) == std::nullopt);
  CHECK(failure_of(token_with({{"exp", fixed_now_seconds + 0.5}}), *pair.private_key) == std::nullopt);
  CHECK(verify_jwt(expired, *pair.private_key, fixed_now - seconds(60)).ok());

  const std::string future = token_with({{"nbf", fixed_now_seconds + 10}});
  CHECK(failure_of(future, *pair.private_key) == JwtFailure::not_yet_valid);
  CHECK(failure_of(future, *pair.private_key, lenient) == std::nullopt);
  CHECK(failure_of(token_with({{"nbf", fixed_now_seconds}}), *pair.private_key) == std::nullopt);

  CHECK(failure_of(token_with({{"exp", "tomorrow"}}), *pair.private_key) == JwtFailure::malformed);
  CHECK(failure_of(token_with({{"nbf", nullptr}}), *pair.private_key) == JwtFailure::malformed);
  CHECK(failure_of(token_with({{"exp", 1e300}}), *pair.private_key) == std::nullopt);

  // A forged expiry is a signature failure first: time claims are only read
  // from verified tokens.
  TokenParts forged = split(expired);
  forged.payload = b64(json{{"exp", fixed_now_seconds + 3600}}.dump());
  CHECK(failure_of(forged.joined(), *pair.private_key) == JwtFailure::bad_signature);
}

TEST_CASE("crypto jwt: alg none, HMAC and unknown algorithms are rejected", "[crypto][jwt]") {
  const KeyPair pair = generate_key(Algorithm::rs256);
  const PkeyHandle public_key = public_key_of(*pair.private_key);
  const std::string payload = b64(json{{"sub", "admin"}}.dump());

  const std::string none_token = b64(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  CHECK(failure_of(none_token, *public_key) == JwtFailure::unsupported_algorithm);

  // The classic confusion attack: HS256 keyed with the RSA public key PEM.
  const std::string public_pem = public_key_to_pem(*public_key);
  const std::string hs_input = b64(R"({"alg":"HS256","typ":"JWT"})") + "." + payload;
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t mac_length = 0;
  REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, public_pem.data(), public_pem.size(),
                    reinterpret_cast<const unsigned char*>(hs_input.data()), hs_input.size(), mac, sizeof mac,
                    &mac_length) != nullptr);
  const std::string hs_token = hs_input + "." + b64(std::string_view(reinterpret_cast<char*>(mac), mac_length));
  CHECK(failure_of(hs_token, *public_key) == JwtFailure::unsupported_algorithm);

  for (const char* alg : {"rs256", "RS512", "PS256", "ES256K", ""}) {
    CAPTURE(alg);
    const std::string token = hand_signed({{"alg", alg}}, json::object(), *pair.private_key, Algorithm::rs256);
    CHECK(failure_of(token, *public_key) == JwtFailure::unsupported_algorithm);
  }
  const std::string no_alg = hand_signed({{"typ", "JWT"}}, json::object(), *pair.private_key, Algorithm::rs256);
  CHECK(failure_of(no_alg, *public_key) == JwtFailure::malformed);
  const std::string numeric_alg = hand_signed({{"alg", 256}}, json::object(), *pair.private_key, Algorithm::rs256);
  CHECK(failure_of(numeric_alg, *public_key) == JwtFailure::malformed);

  const std::string critical = hand_signed({{"alg", "RS256"}, {"crit", {"exp"}}, {"exp", 1}}, json::object(),
                                           *pair.private_key, Algorithm::rs256);
  CHECK(failure_of(critical, *public_key) == JwtFailure::unsupported_header);
}

TEST_CASE("crypto jwt: malformed tokens", "[crypto][jwt]") {
  const KeyPair pair = generate_key(Algorithm::eddsa);
  const std::string good = sign_jwt(nullptr, json{{"sub", "x"}}, *pair.private_key, Algorithm::eddsa);
  const TokenParts parts = split(good);
  REQUIRE(verify_jwt(good, *pair.private_key, fixed_now).ok());

  const std::string header = parts.header;
  const std::string payload = parts.payload;
  const std::vector<std::string> malformed{
      "",
      ".",
      "..",
      "abc",
      header + "." + payload,
      good + ".extra",
      good + ".",
      "!!!." + payload + "." + parts.signature,
      header + ".%%%." + parts.signature,
      header + "." + payload + ".***",
      header + "=." + payload + "." + parts.signature,
      b64("not json") + "." + payload + "." + parts.signature,
      b64("[1,2]") + "." + payload + "." + parts.signature,
      header + "." + b64("\"just a string\"") + "." + parts.signature,
      header + "." + b64("{\"sub\":") + "." + parts.signature,
      " " + good,
  };
  for (const std::string& token : malformed) {
    CAPTURE(token);
    const JwtVerification result = verify_jwt(token, *pair.private_key, fixed_now);
    CHECK(result.failure == JwtFailure::malformed);
    CHECK_THROWS_AS(decode_jwt_unverified(token), CryptoError);
  }
  try {
    decode_jwt_unverified(header + "." + payload);
    FAIL("accepted a two-part token");
  } catch (const CryptoError& error) {
    CHECK(std::string(error.what()).find(header) == std::string::npos);
  }
}

TEST_CASE("crypto jwt: failure names", "[crypto][jwt]") {
  CHECK(to_string(JwtFailure::bad_signature) == "bad_signature");
  CHECK(to_string(JwtFailure::expired) == "expired");
  CHECK(to_string(JwtFailure::unsupported_algorithm) == "unsupported_algorithm");
}

TEST_CASE("crypto jwt: openssl command line agrees with our signatures", "[crypto][jwt][openssl-cli]") {
  const ScratchDir dir;
  const json claims{{"sub", "admin"}, {"exp", fixed_now_seconds + 60}};

  SECTION("RS256 verified by openssl dgst") {
    const KeyPair pair = generate_key(Algorithm::rs256);
    const std::string public_path = dir.write("public.pem", public_key_to_pem(*pair.private_key));
    const TokenParts parts = split(sign_jwt(nullptr, claims, *pair.private_key, Algorithm::rs256));
    const std::string input_path = dir.write("input.txt", parts.header + "." + parts.payload);
    const std::string signature_path = dir.write("sig.bin", unb64(parts.signature));
    CHECK(run_quietly("openssl dgst -sha256 -verify " + public_path + " -signature " + signature_path + " " +
                      input_path) == 0);
    // The same check must fail for a different input, or it proves nothing.
    const std::string other_path = dir.write("other.txt", parts.header + "." + parts.header);
    CHECK(run_quietly("openssl dgst -sha256 -verify " + public_path + " -signature " + signature_path + " " +
                      other_path) != 0);
  }
  SECTION("ES256 verified by openssl dgst after conversion to DER") {
    const KeyPair pair = generate_key(Algorithm::es256);
    const std::string public_path = dir.write("public.pem", public_key_to_pem(*pair.private_key));
    const TokenParts parts = split(sign_jwt(nullptr, claims, *pair.private_key, Algorithm::es256));
    const std::string input_path = dir.write("input.txt", parts.header + "." + parts.payload);
    const std::string signature_path = dir.write("sig.der", raw_to_der(unb64(parts.signature)));
    CHECK(run_quietly("openssl dgst -sha256 -verify " + public_path + " -signature " + signature_path + " " +
                      input_path) == 0);
    const std::string other_path = dir.write("other.txt", parts.payload);
    CHECK(run_quietly("openssl dgst -sha256 -verify " + public_path + " -signature " + signature_path + " " +
                      other_path) != 0);
  }
  SECTION("EdDSA verified by openssl pkeyutl") {
    const KeyPair pair = generate_key(Algorithm::eddsa);
    const std::string public_path = dir.write("public.pem", public_key_to_pem(*pair.private_key));
    const TokenParts parts = split(sign_jwt(nullptr, claims, *pair.private_key, Algorithm::eddsa));
    const std::string input_path = dir.write("input.txt", parts.header + "." + parts.payload);
    const std::string signature_path = dir.write("sig.bin", unb64(parts.signature));
    CHECK(run_quietly("openssl pkeyutl -verify -pubin -inkey " + public_path + " -rawin -in " + input_path +
                      " -sigfile " + signature_path) == 0);
    const std::string other_path = dir.write("other.txt", parts.payload);
    CHECK(run_quietly("openssl pkeyutl -verify -pubin -inkey " + public_path + " -rawin -in " + other_path +
                      " -sigfile " + signature_path) != 0);
  }
  SECTION("tokens signed by openssl verify with verify_jwt") {
    for (Algorithm algorithm : all_algorithms) {
      CAPTURE(jose_name(algorithm));
      const KeyPair pair = generate_key(algorithm);
      const std::string private_path = dir.write("private.pem", private_key_to_pem(*pair.private_key).view());
      const std::string input = b64(header_for(algorithm).dump()) + "." + b64(claims.dump());
      const std::string input_path = dir.write("input.txt", input);
      const std::string signature_path = dir.file("sig.bin");
      const std::string command =
          algorithm == Algorithm::eddsa
              ? "openssl pkeyutl -sign -inkey " + private_path + " -rawin -in " + input_path + " -out " + signature_path
              : "openssl dgst -sha256 -sign " + private_path + " -out " + signature_path + " " + input_path;
      REQUIRE(run_quietly(command) == 0);
      std::string signature = dir.read("sig.bin");
      if (algorithm == Algorithm::es256) signature = der_to_raw(signature);
      const std::string token = input + "." + b64(signature);
      CHECK(verify_jwt(token, *public_key_of(*pair.private_key), fixed_now).ok());
    }
  }
}
