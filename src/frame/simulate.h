#pragma once

#include "frame/change.h"
#include "frame/snapshot.h"

namespace rotator::frame {

/// The snapshot as `change` would leave it, without writing: what a dry run plans
/// the next steps on, and what decision tests step through.
void simulate(const Change& change, Snapshot& snapshot);

}  // namespace rotator::frame
