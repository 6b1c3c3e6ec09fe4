#pragma once

namespace rotator::util {

/// Keeps key and token material out of core dumps, for the life of the process:
/// no core file (RLIMIT_CORE 0, soft and hard, so no later code can raise it
/// again) and not dumpable (PR_SET_DUMPABLE 0: no core even where the core
/// pattern pipes to a helper, and no ptrace attach or /proc/PID/mem read by other
/// processes of the same user). Called first thing in main, before any secret is
/// read. When the kernel refuses (neither call fails on Linux unless a sandbox
/// forbids it) it prints one `rotator: error:` line and exits 1: running on with
/// dumps enabled would break the promise silently.
void disable_core_dumps_or_exit() noexcept;

}  // namespace rotator::util
