#pragma once

#include <cstddef>
#include <string>

#include "crypto/secret.h"

namespace rotator::crypto {

/// `count` bytes from OpenSSL's CSPRNG, held as a secret because callers use
/// them for keys and token material. Throws CryptoError if the RNG fails.
SecretString random_bytes(std::size_t count);

/// A random (version 4, RFC 4122 variant) UUID in lowercase 8-4-4-4-12 form.
std::string uuid_v4();

}  // namespace rotator::crypto
