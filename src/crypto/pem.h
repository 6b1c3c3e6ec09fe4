#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "crypto/openssl_handles.h"
#include "crypto/secret.h"

namespace rotator::crypto {

/// Encodes a private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
/// Throws CryptoError if `private_key` has no private half.
SecretString private_key_to_pem(const EVP_PKEY& private_key);

/// Encodes the public half of any key as SubjectPublicKeyInfo PEM
/// ("BEGIN PUBLIC KEY").
std::string public_key_to_pem(const EVP_PKEY& key);

/// Parses an unencrypted private key: PKCS#8 ("PRIVATE KEY") or the
/// traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY" forms; text before the
/// block (e.g. "EC PARAMETERS") is skipped. Throws CryptoError naming the
/// reason: not PEM, encrypted, a public key or certificate instead, corrupt,
/// or an unsupported key type.
PkeyHandle load_private_key_pem(std::string_view pem);

/// Parses a SubjectPublicKeyInfo PEM public key. Throws CryptoError naming
/// the reason: not PEM, a private key instead, corrupt, or unsupported type.
PkeyHandle load_public_key_pem(std::string_view pem);

}  // namespace rotator::crypto
