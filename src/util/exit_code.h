#pragma once

namespace rotator {

/// Process exit codes: a contract with scripts, Jobs and operators (see README).
enum class ExitCode : int {
  success = 0,         ///< done, including "already converged, nothing to do"
  failure = 1,         ///< any other failure
  usage = 2,           ///< bad command line or job file
  lock_held = 3,       ///< another run holds the Lease
  not_authorized = 4,  ///< the API server said 401 or 403
  invalid_data = 5,    ///< refused to act on invalid existing data (--force overrides)
  degraded = 6,        ///< status: the installation works but needs attention
  broken = 7,          ///< status: the installation does not work as it should
  interrupted = 130,   ///< stopped by SIGINT at a safe point (128 + 2, as shells report it)
  terminated = 143,    ///< stopped by SIGTERM at a safe point (128 + 15)
};

}  // namespace rotator
