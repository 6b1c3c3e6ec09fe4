#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rotator::util {

/// Standard base64 (RFC 4648 section 4) with padding, as Kubernetes stores Secret data.
std::string base64_encode(std::string_view bytes);

/// base64url (RFC 4648 section 5) without padding, as JWTs and JWKs use it.
std::string base64url_encode(std::string_view bytes);

/// Strict decoding: nullopt on any character outside the alphabet, bad padding
/// or a length no encoder produces. Surrounding whitespace is not accepted either.
std::optional<std::string> base64_decode(std::string_view text);

/// base64url decoding; padding is optional, as RFC 7515 leaves it out.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace rotator::util
