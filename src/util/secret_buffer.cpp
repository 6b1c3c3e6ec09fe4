#include "util/secret_buffer.h"

#include <string.h>  // explicit_bzero

namespace rotator::util {

void wipe(void* data, std::size_t size) noexcept {
  if (data != nullptr && size > 0) ::explicit_bzero(data, size);
}

void wipe(std::string& text) noexcept {
  // capacity() covers the whole block (or the small-string storage), so bytes a
  // shorter later value left past size() are wiped as well.
  wipe(text.data(), text.capacity());
  text.clear();
}

void SecretBuffer::clear() noexcept {
  wipe(bytes_.data(), bytes_.capacity());
  bytes_.clear();
}

SecretBuffer& SecretBuffer::operator=(const SecretBuffer& other) {
  if (this != &other) {
    clear();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    clear();
    bytes_ = std::move(other.bytes_);
    other.clear();
  }
  return *this;
}

}  // namespace rotator::util
