#pragma once

#include <unistd.h>

#include <utility>

namespace rotator::util {

/// Owns one file descriptor and closes it when it goes out of scope. Move-only,
/// so a descriptor has exactly one owner and is never closed twice.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  /// Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }

  /// Closes now (if open). Errors of close() are ignored here: a caller that must
  /// know whether buffered data reached the file calls close() instead.
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Closes now and reports close()'s own result (0, or -1 with errno set): for
  /// files whose last write errors may only show up at close.
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_ = -1;
};

}  // namespace rotator::util
