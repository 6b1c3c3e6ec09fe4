#pragma once

#include <string>

#include "frame/plan.h"
#include "frame/reporter.h"
#include "frame/snapshot.h"
#include "kube/client.h"

namespace rotator::frame {

/// Runs the plan in one namespace:
///  1. pre-flight: reads what every step decides on, and lets each step check what
///     must hold before any write (a missing restart target fails here);
///  2. each step in turn converges: decide, write what it decided, decide again on
///     what the writes returned, until it has nothing left to do, waiting where it
///     says so. The first write is preceded by an access review of every right the
///     plan needs and by taking the Lease, held to the end of the plan; what was
///     read before the Lease is read again under it, but for the Secrets the
///     Lease's release recorded at the versions read (LeaseLock::handed_over:
///     only when taken at once from that release). A conflicting write (someone
///     else wrote first) is read again and decided again, a bounded number of times.
///     Between writes, and during waits, a SIGINT/SIGTERM, the run's --timeout or a
///     lost Lease stops the run before its next write.
/// A dry run does the same without writing: each planned write updates the
/// snapshot as the real write would, so later steps plan on it; waits are taken as
/// met; the access review still runs when anything would be written.
/// Returns what the run saw last (commands print results from it). Throws the
/// typed error that stopped it; when writes had begun, the message says what is
/// unfinished and the command that resumes it.
Snapshot run_plan(kube::Client& client, const Plan& plan, const std::string& ns, const RunSettings& settings,
                  Reporter& reporter);

/// The rights every writing plan needs besides its steps': the Lease and Events.
std::vector<kube::Access> frame_rights(const LockOptions& lock);

}  // namespace rotator::frame
