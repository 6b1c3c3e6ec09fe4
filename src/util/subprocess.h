#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace rotator::util {

/// What a finished child process left behind.
struct ProcessResult {
  int exit_code = -1;     ///< exit status, or -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string stdout_text;
};

enum class ChildStdin { null, inherit };
enum class ChildStderr { inherit, discard };

/// Runs argv[0] (looked up on PATH, never through a shell) with the current
/// environment plus `extra_env`, captures stdout, and kills the child if it has
/// not finished within `timeout`. Throws rotator::Error when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, ChildStdin stdin_mode,
                          ChildStderr stderr_mode);

}  // namespace rotator::util
