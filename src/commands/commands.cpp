#include "commands/commands.h"

namespace rotator::cli {

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = {
      commands::status_command(),
      commands::version_command(),
  };
  return table;
}

}  // namespace rotator::cli
