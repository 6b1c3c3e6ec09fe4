#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "util/errors.h"
#include "util/fd.h"

extern char** environ;

namespace rotator::util {
namespace {

/// posix_spawn_file_actions_t with its destroy call.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

/// A pipe whose both ends close on exec; the child gets one end through dup2.
struct Pipe {
  Fd read_end;
  Fd write_end;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error("cannot create a pipe: " + std::string(std::strerror(errno)));
  return {Fd(fds[0]), Fd(fds[1])};
}

std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& extra_env) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text(*entry);
    const auto eq = text.find('=');
    if (eq != std::string::npos) vars[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& [name, value] : extra_env) vars[name] = value;
  std::vector<std::string> result;
  result.reserve(vars.size());
  for (const auto& [name, value] : vars) result.push_back(name + "=" + value);
  return result;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

/// Reads what is there from `fd` into `sink` (up to the cap); false at end of file.
bool drain(int fd, std::string& sink) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (sink.size() < max_captured_output) {
      sink.append(buffer, std::min(static_cast<std::size_t>(n), max_captured_output - sink.size()));
    }
    return true;
  }
}

}  // namespace

std::string find_executable(const std::string& command, const std::string& path_list) {
  if (command.empty()) throw Error("cannot run an empty command");
  if (command.find('/') != std::string::npos) return command;
  std::size_t start = 0;
  while (start <= path_list.size()) {
    const std::size_t end = std::min(path_list.find(':', start), path_list.size());
    const std::string entry = path_list.substr(start, end - start);
    start = end + 1;
    const std::string directory = entry.empty() ? "." : entry;
    const std::string candidate = directory + "/" + command;
    if (!is_executable_file(candidate)) continue;
    if (directory.front() != '/') {
      throw Error("'" + command + "' would run from the current directory through the relative PATH entry \"" + entry +
                  "\"; refusing, as kubectl does: give its absolute path, or remove relative entries from PATH");
    }
    return candidate;
  }
  throw Error("cannot run '" + command + "': not found on PATH");
}

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env,
                          std::chrono::milliseconds timeout, ChildStdin stdin_mode, ChildStderr stderr_mode) {
  if (argv.empty()) throw Error("run_process: empty command");
  const char* path_env = std::getenv("PATH");
  const std::string program = find_executable(argv[0], path_env != nullptr ? path_env : "/bin:/usr/bin");

  Pipe out = make_pipe();
  Pipe err;
  if (stderr_mode == ChildStderr::capture) err = make_pipe();

  FileActions actions;
  posix_spawn_file_actions_adddup2(actions.get(), out.write_end.get(), STDOUT_FILENO);
  if (stdin_mode == ChildStdin::null) {
    posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (stderr_mode == ChildStderr::discard) {
    posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  } else if (stderr_mode == ChildStderr::capture) {
    posix_spawn_file_actions_adddup2(actions.get(), err.write_end.get(), STDERR_FILENO);
  }
  // Nothing but 0-2 crosses into the child: libcurl's sockets, for one, are not
  // opened close-on-exec, and a credential plugin has no business with them.
  posix_spawn_file_actions_addclosefrom_np(actions.get(), STDERR_FILENO + 1);

  std::vector<char*> c_argv;
  for (const auto& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  const auto env_strings = merged_environment(extra_env);
  std::vector<char*> c_env;
  for (const auto& var : env_strings) c_env.push_back(const_cast<char*>(var.c_str()));
  c_env.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, program.c_str(), actions.get(), nullptr, c_argv.data(), c_env.data());
  if (spawn_error != 0) {
    throw Error("cannot run '" + argv[0] + "': " + std::strerror(spawn_error));
  }
  out.write_end.reset();
  err.write_end.reset();

  ProcessResult result;
  // Room up front for what a credential plugin prints, so the token it returns
  // is not copied into blocks left behind by growth (the caller wipes this one).
  result.stdout_text.reserve(64 * 1024);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.read_end || err.read_end) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fds[2] = {{out.read_end.get(), POLLIN, 0}, {err.read_end.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;
    if (fds[0].revents != 0 && !drain(out.read_end.get(), result.stdout_text)) out.read_end.reset();
    if (fds[1].revents != 0 && !drain(err.read_end.get(), result.stderr_text)) err.read_end.reset();
  }
  if (result.timed_out) ::kill(pid, SIGKILL);

  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.max_rss_kib = usage.ru_maxrss;
  return result;
}

}  // namespace rotator::util
