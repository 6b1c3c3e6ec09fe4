#pragma once

#include "cli/command_table.h"

namespace rotator::commands {

namespace po = boost::program_options;

/// Each command file contributes its table entry.
cli::CommandSpec version_command();
cli::CommandSpec status_command();
cli::CommandSpec run_command();
cli::CommandSpec verify_command();
cli::CommandSpec export_admin_token_command();

}  // namespace rotator::commands
