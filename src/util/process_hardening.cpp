#include "util/process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rotator::util {

void disable_core_dumps_or_exit() noexcept {
  const rlimit no_core{0, 0};
  const char* failed = nullptr;
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
    failed = "setrlimit RLIMIT_CORE";
  } else if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    failed = "prctl PR_SET_DUMPABLE";
  }
  if (failed != nullptr) {
    std::fprintf(stderr, "rotator: error: cannot turn core dumps off (%s: %s); refusing to handle keys\n", failed,
                 std::strerror(errno));
    std::exit(1);
  }
}

}  // namespace rotator::util
