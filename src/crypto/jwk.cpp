#include "crypto/jwk.h"

#include <openssl/core_names.h>

#include <array>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_set>

#include "crypto/algorithm.h"
#include "crypto/crypto_error.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "util/base64.h"

namespace rotator::crypto {

namespace {

using nlohmann::json;

constexpr std::size_t p256_coordinate_bytes = 32;
constexpr std::size_t ed25519_key_bytes = 32;

// Members that only a private JWK carries (RFC 7518 section 6, RFC 8037).
constexpr std::array<std::string_view, 8> private_members{"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

std::string bignum_bytes(const BIGNUM& number, std::size_t padded_size = 0) {
  const std::size_t minimal = static_cast<std::size_t>(BN_num_bytes(&number));
  std::string bytes(padded_size > minimal ? padded_size : minimal, '\0');
  if (BN_bn2binpad(&number, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) < 0) {
    throw openssl_failure("cannot serialise a key component");
  }
  return bytes;
}

BignumHandle bignum_param(const EVP_PKEY& key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(&key, name, &value) != 1) {
    throw openssl_failure("cannot read a public key component");
  }
  return BignumHandle(value);
}

std::string member_base64url(const BIGNUM& number, std::size_t padded_size = 0) {
  return util::base64url_encode(bignum_bytes(number, padded_size));
}

const std::string& string_member(const json& jwk, std::string_view name) {
  const auto found = jwk.find(name);
  if (found == jwk.end() || !found->is_string()) {
    throw CryptoError("JWK member \"" + std::string(name) + "\" is missing or not a string");
  }
  return found->get_ref<const std::string&>();
}

std::string decoded_member(const json& jwk, std::string_view name) {
  const std::string& text = string_member(jwk, name);
  // RFC 7515 base64url has no padding; util's decoder tolerates it, we do not.
  std::optional<std::string> bytes;
  if (text.find('=') == std::string::npos) bytes = util::base64url_decode(text);
  if (!bytes || bytes->empty()) {
    throw CryptoError("JWK member \"" + std::string(name) + "\" is not valid base64url");
  }
  return *std::move(bytes);
}

void expect_member_value(const json& jwk, std::string_view name, std::string_view expected) {
  if (string_member(jwk, name) != expected) {
    throw CryptoError("JWK member \"" + std::string(name) + "\" must be \"" + std::string(expected) + "\"");
  }
}

BignumHandle to_bignum(std::string_view big_endian) {
  BignumHandle number(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                                static_cast<int>(big_endian.size()), nullptr));
  if (!number) throw openssl_failure("cannot decode a key component");
  return number;
}

PkeyHandle key_from_params(const char* key_type, const OSSL_PARAM* params) {
  PkeyCtxHandle context(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1) {
    throw openssl_failure("JWK does not describe a valid public key");
  }
  return PkeyHandle(key);
}

ParamsHandle build_params(ParamBuilderHandle& builder) {
  ParamsHandle params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (!params) throw openssl_failure("cannot assemble key parameters");
  return params;
}

ParamBuilderHandle new_param_builder() {
  ParamBuilderHandle builder(OSSL_PARAM_BLD_new());
  if (!builder) throw openssl_failure("cannot allocate key parameters");
  return builder;
}

PkeyHandle rsa_key_from_jwk(const json& jwk) {
  const BignumHandle modulus = to_bignum(decoded_member(jwk, "n"));
  const BignumHandle exponent = to_bignum(decoded_member(jwk, "e"));
  ParamBuilderHandle builder = new_param_builder();
  if (OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    throw openssl_failure("cannot assemble RSA key parameters");
  }
  const ParamsHandle params = build_params(builder);
  return key_from_params("RSA", params.get());
}

PkeyHandle ec_key_from_jwk(const json& jwk) {
  expect_member_value(jwk, "crv", "P-256");
  const std::string x = decoded_member(jwk, "x");
  const std::string y = decoded_member(jwk, "y");
  // RFC 7518 section 6.2.1.2: coordinates are the full field size, unpadded
  // encodings are not allowed.
  if (x.size() != p256_coordinate_bytes || y.size() != p256_coordinate_bytes) {
    throw CryptoError("JWK P-256 coordinates \"x\" and \"y\" must be 32 bytes each");
  }
  std::string point = "\x04" + x + y;  // SEC1 uncompressed point
  ParamBuilderHandle builder = new_param_builder();
  if (OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    throw openssl_failure("cannot assemble EC key parameters");
  }
  const ParamsHandle params = build_params(builder);
  return key_from_params("EC", params.get());
}

PkeyHandle okp_key_from_jwk(const json& jwk) {
  expect_member_value(jwk, "crv", "Ed25519");
  const std::string x = decoded_member(jwk, "x");
  if (x.size() != ed25519_key_bytes) throw CryptoError("JWK Ed25519 \"x\" must be 32 bytes");
  PkeyHandle key(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                                reinterpret_cast<const unsigned char*>(x.data()), x.size()));
  if (!key) throw openssl_failure("JWK does not describe a valid Ed25519 key");
  return key;
}

/// Public keys that passed the provider's check in this process, by the SHA-256
/// of the JWK members they were built from (key_members_digest). The check is a pure function of the key, and
/// for RSA it is costly (about 4 ms: a compositeness test of the modulus); a run
/// reads the same published keys several times (observe, again under the lock,
/// again after a conflict) and a fleet's rereads add up. Bounded: emptied when full.
class CheckedKeys {
 public:
  static CheckedKeys& instance() {
    static CheckedKeys keys;
    return keys;
  }
  bool contains(const std::string& digest) {
    std::lock_guard guard(mutex_);
    return digests_.count(digest) > 0;
  }
  void add(std::string digest) {
    std::lock_guard guard(mutex_);
    if (digests_.size() >= capacity) digests_.clear();
    digests_.insert(std::move(digest));
  }

 private:
  static constexpr std::size_t capacity = 4096;
  std::mutex mutex_;
  std::unordered_set<std::string> digests_;
};

/// The members a JWK's key is built from (RFC 7638's required members, as
/// given): equal for equal keys, read without OpenSSL.
std::string key_members_digest(const json& jwk, const std::string& kty) {
  std::string members = kty;
  for (const char* name : {"n", "e", "crv", "x", "y"}) {
    if (const auto it = jwk.find(name); it != jwk.end() && it->is_string()) {
      members += '\n';
      members += name;
      members += '=';
      members += it->get_ref<const std::string&>();
    }
  }
  return sha256(members);
}

void check_public_key(const EVP_PKEY& key, std::string digest) {
  if (CheckedKeys::instance().contains(digest)) return;
  // Import alone does not promise a sane key (e.g. an even RSA modulus), so
  // ask the provider to validate what was built.
  PkeyCtxHandle context(EVP_PKEY_CTX_new_from_pkey(nullptr, openssl_mutable(key), nullptr));
  if (!context || EVP_PKEY_public_check(context.get()) != 1) {
    throw openssl_failure("JWK does not describe a valid public key");
  }
  CheckedKeys::instance().add(std::move(digest));
}

/// The provider's check of an RSA public key less its costly tests (no small
/// factors: a gcd with a primorial; composite: Miller-Rabin on the modulus), for
/// keys proven otherwise to be a modulus rotator generated: what remains is what
/// SP 800-56B asks of any RSA public key, an odd modulus and an odd exponent with
/// 2^16 < e < 2^256, as OpenSSL's full check has it.
void check_rsa_public_key_quick(const EVP_PKEY& key) {
  const BignumHandle modulus = bignum_param(key, OSSL_PKEY_PARAM_RSA_N);
  const BignumHandle exponent = bignum_param(key, OSSL_PKEY_PARAM_RSA_E);
  // An odd e of 17 to 256 bits is exactly an odd 2^16 < e < 2^256.
  const int exponent_bits = BN_num_bits(exponent.get());
  if (!BN_is_odd(modulus.get()) || !BN_is_odd(exponent.get()) || exponent_bits < 17 || exponent_bits > 256) {
    throw CryptoError("JWK does not describe a valid public key");
  }
}

void validate_set_entry(const json& entry, std::set<std::string>& seen_kids, KeyCheck check) {
  if (!entry.is_object()) throw CryptoError("entry is not a JSON object");
  for (std::string_view member : private_members) {
    if (entry.contains(member)) throw CryptoError("entry contains private key members");
  }
  const PkeyHandle key = public_key_from_jwk(entry, check);
  if (entry.contains("use")) expect_member_value(entry, "use", "sig");
  if (entry.contains("alg")) {
    expect_member_value(entry, "alg", jose_name(describe_key(*key).algorithm));
  }
  if (entry.contains("kid")) {
    const std::string& kid = string_member(entry, "kid");
    if (!seen_kids.insert(kid).second) throw CryptoError("duplicate \"kid\" in JWK set");
  }
}

}  // namespace

json public_jwk(const EVP_PKEY& key, std::string_view kid) {
  const KeyDescription description = describe_key(key);
  json jwk;
  switch (description.algorithm) {
    case Algorithm::rs256:
      jwk["kty"] = "RSA";
      jwk["n"] = member_base64url(*bignum_param(key, OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = member_base64url(*bignum_param(key, OSSL_PKEY_PARAM_RSA_E));
      break;
    case Algorithm::es256:
      jwk["kty"] = "EC";
      jwk["crv"] = "P-256";
      jwk["x"] = member_base64url(*bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_X), p256_coordinate_bytes);
      jwk["y"] = member_base64url(*bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_Y), p256_coordinate_bytes);
      break;
    case Algorithm::eddsa: {
      std::string raw(ed25519_key_bytes, '\0');
      std::size_t length = raw.size();
      if (EVP_PKEY_get_raw_public_key(&key, reinterpret_cast<unsigned char*>(raw.data()), &length) != 1 ||
          length != ed25519_key_bytes) {
        throw openssl_failure("cannot read the Ed25519 public key");
      }
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = util::base64url_encode(raw);
      break;
    }
  }
  jwk["alg"] = jose_name(description.algorithm);
  jwk["use"] = "sig";
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

std::string jwk_thumbprint(const json& jwk) {
  if (!jwk.is_object()) throw CryptoError("JWK is not a JSON object");
  const std::string& kty = string_member(jwk, "kty");
  std::vector<std::string_view> required;
  if (kty == "RSA") {
    required = {"e", "kty", "n"};
  } else if (kty == "EC") {
    required = {"crv", "kty", "x", "y"};
  } else if (kty == "OKP") {
    required = {"crv", "kty", "x"};
  } else {
    throw CryptoError("unsupported JWK key type; expected RSA, EC or OKP");
  }
  // nlohmann::json keeps object members sorted by key and dump() without an
  // indent emits no whitespace: exactly RFC 7638's canonical form.
  json canonical = json::object();
  for (std::string_view member : required) canonical[std::string(member)] = string_member(jwk, member);
  return util::base64url_encode(sha256(canonical.dump()));
}

std::string key_thumbprint(const EVP_PKEY& key) {
  return jwk_thumbprint(public_jwk(key, ""));
}

PkeyHandle public_key_from_jwk(const json& jwk, KeyCheck check) {
  if (!jwk.is_object()) throw CryptoError("JWK is not a JSON object");
  const std::string& kty = string_member(jwk, "kty");
  PkeyHandle key;
  if (kty == "RSA") {
    key = rsa_key_from_jwk(jwk);
  } else if (kty == "EC") {
    key = ec_key_from_jwk(jwk);
  } else if (kty == "OKP") {
    key = okp_key_from_jwk(jwk);
  } else {
    throw CryptoError("unsupported JWK key type; expected RSA, EC or OKP");
  }
  if (check == KeyCheck::quick && kty == "RSA") {
    check_rsa_public_key_quick(*key);
  } else if (check != KeyCheck::skip_provider_check) {
    check_public_key(*key, key_members_digest(jwk, kty));  // cheap for EC and OKP keys
  }
  static_cast<void>(describe_key(*key));
  return key;
}

json make_jwk_set(const std::vector<json>& keys) {
  json set = json::object();
  set["keys"] = json::array();
  for (const json& key : keys) set["keys"].push_back(key);
  return set;
}

std::vector<json> parse_jwk_set(std::string_view json_text, KeyCheck check) {
  json document;
  try {
    document = json::parse(json_text);
  } catch (const json::parse_error& error) {
    // error.what() quotes the input; report only the position.
    throw CryptoError("JWK set is not valid JSON (error at byte " + std::to_string(error.byte) + ")");
  } catch (const json::out_of_range&) {
    // Thrown for a number too large for a double ("1E999"), found by jwk_fuzz.
    throw CryptoError("JWK set is not valid JSON (a number out of range)");
  }
  if (!document.is_object() || !document.contains("keys") || !document["keys"].is_array()) {
    throw CryptoError("JWK set must be a JSON object with a \"keys\" array");
  }
  std::vector<json> keys;
  std::set<std::string> seen_kids;
  for (std::size_t index = 0; index < document["keys"].size(); ++index) {
    const json& entry = document["keys"][index];
    try {
      validate_set_entry(entry, seen_kids, check);
    } catch (const CryptoError& error) {
      throw CryptoError("JWK set key #" + std::to_string(index) + ": " + error.what());
    }
    keys.push_back(entry);
  }
  return keys;
}

const json* find_jwk(const std::vector<json>& keys, std::string_view kid) {
  for (const json& key : keys) {
    const auto found = key.find("kid");
    if (found != key.end() && found->is_string() && found->get_ref<const std::string&>() == kid) {
      return &key;
    }
  }
  return nullptr;
}

}  // namespace rotator::crypto
