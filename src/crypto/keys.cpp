#include "crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "crypto/crypto_error.h"

namespace rotator::crypto {

namespace {

PkeyCtxHandle keygen_context(const char* key_type) {
  PkeyCtxHandle context(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1) {
    throw openssl_failure("cannot set up key generation");
  }
  return context;
}

int checked_rsa_bits(std::optional<int> requested) {
  const int bits = requested.value_or(default_rsa_bits);
  if (std::find(supported_rsa_bits.begin(), supported_rsa_bits.end(), bits) == supported_rsa_bits.end()) {
    throw CryptoError("unsupported RSA key size " + std::to_string(bits) + " bits; use 2048, 3072 or 4096");
  }
  return bits;
}

bool is_p256(std::string_view group_name) {
  // OpenSSL reports the SN ("prime256v1"); accept the NIST alias too.
  return group_name == "prime256v1" || group_name == "P-256";
}

}  // namespace

KeyPair generate_key(Algorithm algorithm, std::optional<int> rsa_bits) {
  if (algorithm != Algorithm::rs256 && rsa_bits.has_value()) {
    throw CryptoError("a key size can only be chosen for RS256; " + std::string(jose_name(algorithm)) +
                      " keys have a fixed size");
  }
  PkeyCtxHandle context;
  switch (algorithm) {
    case Algorithm::rs256:
      context = keygen_context("RSA");
      if (EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), checked_rsa_bits(rsa_bits)) != 1) {
        throw openssl_failure("cannot set the RSA key size");
      }
      break;
    case Algorithm::es256:
      context = keygen_context("EC");
      if (EVP_PKEY_CTX_set_group_name(context.get(), "P-256") != 1) {
        throw openssl_failure("cannot select curve P-256");
      }
      break;
    case Algorithm::eddsa: context = keygen_context("ED25519"); break;
  }
  EVP_PKEY* generated = nullptr;
  if (EVP_PKEY_generate(context.get(), &generated) != 1) {
    throw openssl_failure("key generation failed");
  }
  return KeyPair{algorithm, PkeyHandle(generated)};
}

KeyDescription describe_key(const EVP_PKEY& key) {
  if (EVP_PKEY_is_a(&key, "RSA")) return {Algorithm::rs256, EVP_PKEY_get_bits(&key)};
  if (EVP_PKEY_is_a(&key, "ED25519")) return {Algorithm::eddsa, 256};
  if (EVP_PKEY_is_a(&key, "EC")) {
    char group_name[80] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group_name, sizeof group_name, &length) != 1) {
      throw openssl_failure("cannot read the curve of an EC key");
    }
    const std::string_view group(group_name, length);
    if (is_p256(group)) return {Algorithm::es256, 256};
    throw CryptoError("unsupported EC curve " + std::string(group) + "; only P-256 (ES256) is supported");
  }
  const char* type_name = EVP_PKEY_get0_type_name(&key);
  throw CryptoError(std::string("unsupported key type ") + (type_name != nullptr ? type_name : "(unknown)") +
                    "; supported are RSA (RS256), EC P-256 (ES256) and Ed25519 (EdDSA)");
}

std::string to_string(const KeyDescription& description) {
  const std::string algorithm(jose_name(description.algorithm));
  switch (description.algorithm) {
    case Algorithm::rs256: return algorithm + " (RSA " + std::to_string(description.bits) + " bits)";
    case Algorithm::es256: return algorithm + " (EC P-256)";
    case Algorithm::eddsa: return algorithm + " (Ed25519)";
  }
  return algorithm;
}

PkeyHandle public_key_of(const EVP_PKEY& key) {
  // A round trip through SubjectPublicKeyInfo DER is the provider-neutral
  // way to drop the private half; the DER holds public data only.
  const int length = i2d_PUBKEY(&key, nullptr);
  if (length <= 0) throw openssl_failure("cannot extract the public key");
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* write_position = der.data();
  if (i2d_PUBKEY(&key, &write_position) != length) {
    throw openssl_failure("cannot extract the public key");
  }
  const unsigned char* read_position = der.data();
  PkeyHandle public_key(d2i_PUBKEY(nullptr, &read_position, length));
  if (!public_key) throw openssl_failure("cannot rebuild the public key");
  return public_key;
}

bool public_matches_private(const EVP_PKEY& public_key, const EVP_PKEY& private_key) {
  const int comparison = EVP_PKEY_eq(&public_key, &private_key);
  // -1 (different types) and -2 (cannot compare) both mean "not a pair"; the
  // queue entries they may leave behind are not errors for our callers.
  clear_openssl_errors();
  return comparison == 1;
}

}  // namespace rotator::crypto
