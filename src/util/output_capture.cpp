#include "util/output_capture.h"

namespace rotator::util {
namespace {
thread_local std::string* capture_target = nullptr;
}  // namespace

class ThreadOutputRouter::Buffer : public std::streambuf {
 public:
  explicit Buffer(std::streambuf* original) : original_(original) {}

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (capture_target) {
      capture_target->push_back(traits_type::to_char_type(c));
      return c;
    }
    return original_->sputc(traits_type::to_char_type(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (capture_target) {
      capture_target->append(s, static_cast<std::size_t>(n));
      return n;
    }
    return original_->sputn(s, n);
  }
  int sync() override { return capture_target ? 0 : original_->pubsync(); }

 private:
  std::streambuf* original_;
};

ThreadOutputRouter::ThreadOutputRouter(std::ostream& stream)
    : stream_(stream), original_(stream.rdbuf()), buffer_(new Buffer(original_)) {
  stream_.rdbuf(buffer_);
}

ThreadOutputRouter::~ThreadOutputRouter() {
  stream_.rdbuf(original_);
  delete buffer_;
}

CaptureScope::CaptureScope() : previous_(capture_target) { capture_target = &text_; }

CaptureScope::~CaptureScope() { capture_target = previous_; }

}  // namespace rotator::util
