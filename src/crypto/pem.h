#pragma once

#include <openssl/evp.h>

#include <optional>
#include <string>
#include <string_view>

#include "crypto/openssl_handles.h"
#include "crypto/secret.h"

namespace rotator::crypto {

/// How a private key is encoded in PEM. Installations in the field have both
/// PKCS#8 and PKCS#1 RSA keys (InfluxDB 3 Enterprise even requires PKCS#1), so
/// rotator reads both, reports which it found, and writes the one asked for.
enum class PrivateKeyForm {
  pkcs8,  ///< "BEGIN PRIVATE KEY", any key type; rotator's default
  pkcs1,  ///< "BEGIN RSA PRIVATE KEY", RSA only ("traditional" RSA)
  sec1,   ///< "BEGIN EC PRIVATE KEY", EC only ("traditional" EC; read and kept, never a default)
};

/// "PKCS#8", "PKCS#1" or "SEC1", for messages.
std::string_view form_name(PrivateKeyForm form);

/// The form a flag value names: "pkcs8", "pkcs1" or "sec1" (case as given); nullopt otherwise.
std::optional<PrivateKeyForm> parse_private_key_form(std::string_view text);

/// Encodes a private key as unencrypted PEM in `form`: PKCS#8 for any key,
/// PKCS#1 only for RSA, SEC1 only for EC. The text is wiped when the result is
/// destroyed. Throws CryptoError if `private_key` has no private half, or `form`
/// does not exist for its type (e.g. PKCS#1 for an Ed25519 key).
SecretString private_key_to_pem(const EVP_PKEY& private_key, PrivateKeyForm form = PrivateKeyForm::pkcs8);

/// The form of the private key in `pem`, from its BEGIN line, without decoding
/// it: what key-gen keeps when it rewrites a key it found. Throws CryptoError as
/// load_private_key_pem does for text that holds no unencrypted private key block.
PrivateKeyForm private_key_pem_form(std::string_view pem);

/// A parsed private key and the form it was in.
struct LoadedPrivateKey {
  PkeyHandle key;
  PrivateKeyForm form = PrivateKeyForm::pkcs8;
};

/// load_private_key_pem, and the form it found.
LoadedPrivateKey load_private_key_pem_with_form(std::string_view pem);

/// Encodes the public half of any key as SubjectPublicKeyInfo PEM
/// ("BEGIN PUBLIC KEY").
std::string public_key_to_pem(const EVP_PKEY& key);

/// Parses an unencrypted private key: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA
/// PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"); text before the
/// block (e.g. "EC PARAMETERS") is skipped. Throws CryptoError naming the
/// reason: not PEM, encrypted, a public key or certificate instead, corrupt,
/// or an unsupported key type.
PkeyHandle load_private_key_pem(std::string_view pem);

/// Parses a SubjectPublicKeyInfo PEM public key. Throws CryptoError naming
/// the reason: not PEM, a private key instead, corrupt, or unsupported type.
PkeyHandle load_public_key_pem(std::string_view pem);

}  // namespace rotator::crypto
