#pragma once

#include <ostream>
#include <streambuf>
#include <string>

namespace rotator::util {

/// Routes what a thread writes to a stream (std::cout) into that thread's own
/// buffer while a CaptureScope is active on it; other threads write through. Lets
/// concurrent work print whole blocks instead of interleaved characters.
class ThreadOutputRouter {
 public:
  explicit ThreadOutputRouter(std::ostream& stream);
  ~ThreadOutputRouter();
  ThreadOutputRouter(const ThreadOutputRouter&) = delete;
  ThreadOutputRouter& operator=(const ThreadOutputRouter&) = delete;

 private:
  class Buffer;
  std::ostream& stream_;
  std::streambuf* original_;
  Buffer* buffer_;
};

/// While alive, this thread's writes through a ThreadOutputRouter land in text().
class CaptureScope {
 public:
  CaptureScope();
  ~CaptureScope();
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string* previous_;
};

}  // namespace rotator::util
