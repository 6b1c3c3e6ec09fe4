#pragma once

#include <stdexcept>
#include <string>

#include "util/exit_code.h"

namespace rotator {

/// Base of every error rotator raises on purpose. Caught once, in main, and
/// turned into one line on stderr and the exit code it names. Messages never
/// carry key or token material.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::failure)
      : std::runtime_error(message), code_(code) {}
  ExitCode exit_code() const { return code_; }

 private:
  ExitCode code_;
};

/// Wrong flags, unknown commands, malformed job files.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ExitCode::usage) {}
};

/// Existing data that rotator will not overwrite without --force.
class InvalidDataError : public Error {
 public:
  explicit InvalidDataError(const std::string& message) : Error(message, ExitCode::invalid_data) {}
};

/// Another run holds the lock.
class LockHeldError : public Error {
 public:
  explicit LockHeldError(const std::string& message) : Error(message, ExitCode::lock_held) {}
};

/// A configuration problem: kubeconfig, in-cluster files, credentials.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message, ExitCode::failure) {}
};

}  // namespace rotator
