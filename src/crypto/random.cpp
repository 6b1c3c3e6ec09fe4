#include "crypto/random.h"

#include <openssl/rand.h>

#include <array>
#include <climits>

#include "crypto/crypto_error.h"
#include "crypto/hash.h"

namespace rotator::crypto {

namespace {

void fill_random(unsigned char* buffer, std::size_t count) {
  // RAND_bytes takes an int; fill large requests in chunks.
  while (count > 0) {
    const int chunk = count > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(count);
    if (RAND_bytes(buffer, chunk) != 1) throw openssl_failure("random number generator failed");
    buffer += chunk;
    count -= static_cast<std::size_t>(chunk);
  }
}

}  // namespace

SecretString random_bytes(std::size_t count) {
  std::string buffer(count, '\0');
  fill_random(reinterpret_cast<unsigned char*>(buffer.data()), count);
  // The SecretString constructor copies and then wipes `buffer`.
  return SecretString(std::move(buffer));
}

std::string uuid_v4() {
  std::array<unsigned char, 16> bytes{};
  fill_random(bytes.data(), bytes.size());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // variant 10xx
  const std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

}  // namespace rotator::crypto
