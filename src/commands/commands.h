#pragma once

#include "cli/command_table.h"

namespace rotator::commands {

/// Each command file contributes its table entry.
cli::CommandSpec version_command();
cli::CommandSpec status_command();

}  // namespace rotator::commands
