#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "util/errors.h"

namespace rotator::frame {

/// The run was stopped by SIGINT (exit 130) or SIGTERM (exit 143) at a safe point:
/// no write was cut in half, and the lock is released on the way out.
class Interrupted : public Error {
 public:
  Interrupted(const std::string& message, int signal_number);
  int signal_number() const { return signal_number_; }

 private:
  int signal_number_;
};

/// SIGINT and SIGTERM (what Ctrl-C and a pod eviction send) ask a writing run to
/// stop at its next safe point instead of dying in the middle: between writes, or
/// at once during a wait. A second signal while stopping ends the process at once.
namespace stop {

/// Installs the handlers (idempotent). Called by commands that write.
void install_handlers();

/// The signal that asked to stop, or 0.
int requested();

/// Throws Interrupted when a stop was asked for.
void check(const std::string& where);

/// Sleeps up to `duration`, waking at once when a stop is asked for. Returns
/// false when it was woken by a stop request.
bool sleep_for(std::chrono::milliseconds duration);

/// For tests: forget a request.
void reset_for_tests();

}  // namespace stop

/// The run's --timeout, as a moment: waits and lock waits end there too.
class Deadline {
 public:
  Deadline() = default;
  explicit Deadline(std::chrono::steady_clock::time_point at) : at_(at) {}
  bool passed() const { return at_ && std::chrono::steady_clock::now() >= *at_; }
  /// How long until it passes (a large value when there is none).
  std::chrono::milliseconds remaining() const;
  const std::optional<std::chrono::steady_clock::time_point>& at() const { return at_; }

 private:
  std::optional<std::chrono::steady_clock::time_point> at_;
};

}  // namespace rotator::frame
