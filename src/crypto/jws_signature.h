#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "crypto/algorithm.h"

namespace rotator::crypto {

/// Signs a JWS signing input ("<header>.<payload>") and returns the raw
/// signature in JOSE form: PKCS#1 v1.5 bytes for RS256, 64-byte R||S for
/// ES256, 64 bytes for EdDSA. Throws CryptoError if `private_key` is not a
/// private key of the type `algorithm` needs.
std::string jws_sign(const EVP_PKEY& private_key, Algorithm algorithm, std::string_view signing_input);

/// True when `signature` (JOSE form, as jws_sign returns) is valid for
/// `signing_input` under `public_key`. Any malformed signature is simply
/// invalid. Throws CryptoError only if the key does not fit `algorithm`.
bool jws_verify(const EVP_PKEY& public_key, Algorithm algorithm, std::string_view signing_input,
                std::string_view signature);

}  // namespace rotator::crypto
