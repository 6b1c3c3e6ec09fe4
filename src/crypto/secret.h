#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace rotator::crypto {

/// Move-only buffer for sensitive bytes (private PEM text, random secrets).
/// The storage is allocated once at its final size, so no reallocation leaves
/// stray copies behind, and it is wiped with OPENSSL_cleanse on destruction.
/// Moving transfers the allocation; the moved-from object is left empty.
class SecretString {
 public:
  /// An empty secret.
  SecretString() = default;

  /// Copies `size` bytes from `data`; the caller remains responsible for
  /// wiping its own copy.
  SecretString(const char* data, std::size_t size) : size_(size) {
    if (size_ == 0) return;
    bytes_ = std::make_unique_for_overwrite<char[]>(size_);
    std::char_traits<char>::copy(bytes_.get(), data, size_);
  }

  /// Takes over the contents of `plain` and wipes `plain`, for callers that
  /// received sensitive bytes in an ordinary string (e.g. a file read).
  explicit SecretString(std::string&& plain) : SecretString(plain.data(), plain.size()) {
    OPENSSL_cleanse(plain.data(), plain.size());
    plain.clear();
  }

  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;

  /// Transfers the allocation; `other` becomes empty.
  SecretString(SecretString&& other) noexcept : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {}

  /// Wipes the current contents, then transfers `other`'s allocation.
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  ~SecretString() { wipe(); }

  /// Read-only view; valid while this object lives and is not moved from.
  std::string_view view() const { return {bytes_.get(), size_}; }
  /// Pointer to the bytes (not NUL-terminated); null when empty.
  const char* data() const { return bytes_.get(); }
  /// Number of bytes held.
  std::size_t size() const { return size_; }
  /// True when no bytes are held.
  bool empty() const { return size_ == 0; }

 private:
  void wipe() noexcept {
    if (bytes_) OPENSSL_cleanse(bytes_.get(), size_);
    bytes_.reset();
    size_ = 0;
  }

  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
};

}  // namespace rotator::crypto
