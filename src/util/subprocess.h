#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace rotator::util {

/// What a finished child process left behind.
struct ProcessResult {
  int exit_code = -1;  ///< exit status, or -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string stdout_text;  ///< at most max_captured_output bytes
  std::string stderr_text;  ///< with ChildStderr::capture; at most max_captured_output bytes
  long max_rss_kib = 0;     ///< the child's peak resident memory (getrusage's ru_maxrss)
};

/// Output beyond this is read and dropped, so a runaway child cannot grow us.
inline constexpr std::size_t max_captured_output = 4 * 1024 * 1024;

enum class ChildStdin { null, inherit };
enum class ChildStderr { inherit, discard, capture };

/// Runs argv[0] without a shell, with the current environment plus `extra_env`,
/// captures stdout (and stderr with ChildStderr::capture), and kills the child if
/// it has not finished within `timeout`.
///
/// argv[0] is resolved with find_executable (so never from the current directory
/// through a relative PATH entry). The child inherits no file descriptor but 0, 1
/// and 2: not the API connections, not the lock's or a file's descriptors.
/// Throws rotator::Error when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, ChildStdin stdin_mode, ChildStderr stderr_mode);

/// The file `command` names, as client-go's exec (Go's os/exec LookPath) finds it:
/// a command with a '/' is taken as it is; otherwise each directory of `path_list`
/// (a PATH value) is tried in order. When the first match lies in a relative
/// directory (an empty entry, ".", or any relative name) it is refused, as Go
/// refuses it (exec.ErrDot): a plugin must not run from whatever directory rotator
/// happens to be started in. Throws rotator::Error when nothing is found or the
/// match is refused.
std::string find_executable(const std::string& command, const std::string& path_list);

}  // namespace rotator::util
