#pragma once

#include <string>
#include <string_view>

#include "util/errors.h"

namespace rotator::crypto {

/// Any failure in key handling, JWK/JWT processing or the OpenSSL layer.
/// Messages describe what went wrong, never the key or token bytes involved.
class CryptoError : public Error {
 public:
  explicit CryptoError(const std::string& message) : Error(message, ExitCode::failure) {}
};

/// Builds a CryptoError from `context` plus the reasons on this thread's
/// OpenSSL error queue, and empties the queue so stale entries cannot leak
/// into a later, unrelated message. OpenSSL reason strings are fixed texts
/// ("no start line", "bad decrypt"), so they carry no key material.
CryptoError openssl_failure(std::string_view context);

/// Empties this thread's OpenSSL error queue; used after a failure that is
/// expected and handled (e.g. a signature that does not verify).
void clear_openssl_errors() noexcept;

}  // namespace rotator::crypto
