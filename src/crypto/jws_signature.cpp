#include "crypto/jws_signature.h"

#include <vector>

#include "crypto/crypto_error.h"
#include "crypto/keys.h"
#include "crypto/openssl_handles.h"

namespace rotator::crypto {

namespace {

constexpr std::size_t es256_half_bytes = 32;

const unsigned char* as_bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

void ensure_key_fits(const EVP_PKEY& key, Algorithm algorithm) {
  const Algorithm key_algorithm = describe_key(key).algorithm;
  if (key_algorithm != algorithm) {
    throw CryptoError("a " + std::string(jose_name(key_algorithm)) + " key cannot be used for " +
                      std::string(jose_name(algorithm)));
  }
}

// EdDSA hashes internally and takes no digest; the others use SHA-256.
const char* digest_name(Algorithm algorithm) {
  return algorithm == Algorithm::eddsa ? nullptr : "SHA256";
}

std::string der_to_raw_ecdsa(std::string_view der) {
  const unsigned char* position = as_bytes(der);
  EcdsaSigHandle signature(d2i_ECDSA_SIG(nullptr, &position, static_cast<long>(der.size())));
  if (!signature) throw openssl_failure("cannot decode the ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::string raw(2 * es256_half_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, es256_half_bytes) < 0 || BN_bn2binpad(s, out + es256_half_bytes, es256_half_bytes) < 0) {
    throw openssl_failure("cannot encode the ECDSA signature");
  }
  return raw;
}

// Returns an empty string when `raw` cannot be an ES256 signature.
std::string raw_to_der_ecdsa(std::string_view raw) {
  if (raw.size() != 2 * es256_half_bytes) return {};
  BignumHandle r(BN_bin2bn(as_bytes(raw), es256_half_bytes, nullptr));
  BignumHandle s(BN_bin2bn(as_bytes(raw) + es256_half_bytes, es256_half_bytes, nullptr));
  EcdsaSigHandle signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    throw openssl_failure("cannot build the ECDSA signature");
  }
  // ECDSA_SIG_set0 took ownership of both numbers.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  const int length = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (length <= 0) throw openssl_failure("cannot encode the ECDSA signature");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* position = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(signature.get(), &position) != length) {
    throw openssl_failure("cannot encode the ECDSA signature");
  }
  return der;
}

}  // namespace

std::string jws_sign(const EVP_PKEY& private_key, Algorithm algorithm, std::string_view signing_input) {
  ensure_key_fits(private_key, algorithm);
  MdCtxHandle context(EVP_MD_CTX_new());
  if (!context || EVP_DigestSignInit_ex(context.get(), nullptr, digest_name(algorithm), nullptr, nullptr,
                                        openssl_mutable(private_key), nullptr) != 1) {
    throw openssl_failure("cannot start signing");
  }
  std::size_t length = 0;
  if (EVP_DigestSign(context.get(), nullptr, &length, as_bytes(signing_input), signing_input.size()) != 1) {
    throw openssl_failure("cannot size the signature");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     as_bytes(signing_input), signing_input.size()) != 1) {
    throw openssl_failure("signing failed (is the key a private key?)");
  }
  signature.resize(length);
  return algorithm == Algorithm::es256 ? der_to_raw_ecdsa(signature) : signature;
}

bool jws_verify(const EVP_PKEY& public_key, Algorithm algorithm, std::string_view signing_input,
                std::string_view signature) {
  ensure_key_fits(public_key, algorithm);
  std::string der_signature;
  if (algorithm == Algorithm::es256) {
    der_signature = raw_to_der_ecdsa(signature);
    if (der_signature.empty()) return false;
    signature = der_signature;
  }
  MdCtxHandle context(EVP_MD_CTX_new());
  if (!context || EVP_DigestVerifyInit_ex(context.get(), nullptr, digest_name(algorithm), nullptr, nullptr,
                                          openssl_mutable(public_key), nullptr) != 1) {
    throw openssl_failure("cannot start signature verification");
  }
  const int outcome = EVP_DigestVerify(context.get(), as_bytes(signature), signature.size(), as_bytes(signing_input),
                                       signing_input.size());
  // A bad signature leaves decoding errors on the queue; they are the
  // expected outcome here, not a failure to report later.
  clear_openssl_errors();
  return outcome == 1;
}

}  // namespace rotator::crypto
