#include "crypto/hash.h"

#include <openssl/evp.h>

#include "crypto/crypto_error.h"

namespace rotator::crypto {

namespace {

std::string digest(std::string_view bytes, const EVP_MD* algorithm, std::string_view name) {
  std::string result(static_cast<std::size_t>(EVP_MD_get_size(algorithm)), '\0');
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(result.data()), &length, algorithm,
                 nullptr) != 1 ||
      length != result.size()) {
    throw openssl_failure(std::string(name) + " digest failed");
  }
  return result;
}

}  // namespace

std::string sha256(std::string_view bytes) {
  return digest(bytes, EVP_sha256(), "SHA-256");
}

std::string sha512(std::string_view bytes) {
  return digest(bytes, EVP_sha512(), "SHA-512");
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(bytes));
}

std::string sha512_hex(std::string_view bytes) {
  return to_hex(sha512(bytes));
}

}  // namespace rotator::crypto
