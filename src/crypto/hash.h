#pragma once

#include <string>
#include <string_view>

namespace rotator::crypto {

/// SHA-256 of `bytes`: 32 raw bytes.
std::string sha256(std::string_view bytes);

/// SHA-512 of `bytes`: 64 raw bytes.
std::string sha512(std::string_view bytes);

/// Lowercase hexadecimal rendering of raw bytes.
std::string to_hex(std::string_view bytes);

/// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

/// SHA-512 of `bytes` as 128 lowercase hex digits.
std::string sha512_hex(std::string_view bytes);

}  // namespace rotator::crypto
