#include "frame/stop.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>

namespace rotator::frame {
namespace {

std::atomic<int> requested_signal{0};
// A self-pipe: the handler writes a byte so sleeps polling the read end wake at once.
int wake_pipe[2] = {-1, -1};
std::once_flag installed;

void on_signal(int signal_number) {
  int expected = 0;
  if (!requested_signal.compare_exchange_strong(expected, signal_number)) {
    // Asked twice: the operator wants out now. The default action ends the
    // process; the Lease then expires by itself (or `rotator unlock` frees it).
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(wake_pipe[1], &byte, 1);
}

const char* signal_name(int signal_number) {
  return signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : "a signal";
}

}  // namespace

Interrupted::Interrupted(const std::string& message, int signal_number)
    : Error(message, signal_number == SIGINT ? ExitCode::interrupted : ExitCode::terminated),
      signal_number_(signal_number) {}

namespace stop {

void install_handlers() {
  std::call_once(installed, [] {
    if (::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;  // then sleeps just do not wake early
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
  });
}

int requested() {
  return requested_signal.load();
}

void check(const std::string& where) {
  const int signal_number = requested();
  if (signal_number == 0) return;
  throw Interrupted(std::string("stopped by ") + signal_name(signal_number) + " " + where, signal_number);
}

bool sleep_for(std::chrono::milliseconds duration) {
  if (requested() != 0) return false;
  if (wake_pipe[0] < 0) {
    ::usleep(static_cast<useconds_t>(duration.count() * 1000));
    return requested() == 0;
  }
  const auto until = std::chrono::steady_clock::now() + duration;
  while (requested() == 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd wake{wake_pipe[0], POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(left.count()));
  }
  return false;
}

void reset_for_tests() {
  requested_signal = 0;
  char drain[16];
  if (wake_pipe[0] >= 0) {
    while (::read(wake_pipe[0], drain, sizeof drain) > 0) {
    }
  }
}

}  // namespace stop

std::chrono::milliseconds Deadline::remaining() const {
  if (!at_) return std::chrono::hours(24 * 365);
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(*at_ - std::chrono::steady_clock::now()));
}

}  // namespace rotator::frame
