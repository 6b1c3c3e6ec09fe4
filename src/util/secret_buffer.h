#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace rotator::util {

/// Overwrites `size` bytes at `data` with zeros in a way the compiler may not
/// optimise away (explicit_bzero).
void wipe(void* data, std::size_t size) noexcept;

/// Overwrites the whole allocation of `text` (its capacity, not only its size)
/// and empties it: for ordinary strings that held a token or key on their way
/// into a SecretBuffer.
void wipe(std::string& text) noexcept;

/// An allocator that wipes every block before giving it back, so a growing
/// buffer leaves no copy of its earlier contents in freed memory.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

/// Bytes that must not outlive their use in memory a core dump or a later
/// allocation could show: bearer tokens, client keys, request and response
/// bodies that carry Secret data. Grows like a string (every block it leaves
/// behind is wiped) and wipes itself, its small-string storage included, on
/// destruction, on clear() and when moved from.
///
/// Copyable, because credentials are handed out by value; every copy wipes
/// itself too. Unlike crypto::SecretString (fixed size, for key material made
/// by OpenSSL), it can be appended to, as an HTTP body arrives in pieces.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  /// Copies `text`; the caller stays responsible for its own copy (see wipe()).
  SecretBuffer(const std::string& text) : bytes_(text.data(), text.size()) {}  // NOLINT: implicit on purpose
  SecretBuffer(const char* text) : SecretBuffer(std::string_view(text)) {}     // NOLINT
  explicit SecretBuffer(std::string_view text) : bytes_(text.data(), text.size()) {}
  SecretBuffer(const SecretBuffer& other) : bytes_(other.bytes_) {}
  SecretBuffer(SecretBuffer&& other) noexcept : bytes_(std::move(other.bytes_)) { other.clear(); }
  SecretBuffer& operator=(const SecretBuffer& other);
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  ~SecretBuffer() { clear(); }

  void append(const char* data, std::size_t size) { bytes_.append(data, size); }
  void append(std::string_view text) { bytes_.append(text.data(), text.size()); }
  void push_back(char c) { bytes_.push_back(c); }
  void reserve(std::size_t size) { bytes_.reserve(size); }
  /// Wipes and empties.
  void clear() noexcept;

  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }
  /// NUL-terminated, for C APIs that want a string (valid until the next change).
  const char* c_str() const { return bytes_.c_str(); }
  const char* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  const char* begin() const { return bytes_.data(); }
  const char* end() const { return bytes_.data() + bytes_.size(); }

  friend bool operator==(const SecretBuffer& a, const SecretBuffer& b) { return a.view() == b.view(); }
  friend bool operator==(const SecretBuffer& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const SecretBuffer& a, const char* b) { return a.view() == std::string_view(b); }

 private:
  std::basic_string<char, std::char_traits<char>, WipingAllocator<char>> bytes_;
};

}  // namespace rotator::util
