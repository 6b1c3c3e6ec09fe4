#include "commands/commands.h"

namespace rotator::cli {

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = {
      commands::status_command(),
      commands::version_command(),
      commands::management_create_command(),
      commands::management_list_command(),
      commands::management_revoke_command(),
      commands::management_renew_command(),
      commands::token_create_command(),
      commands::token_list_command(),
      commands::token_get_command(),
      commands::token_revoke_command(),
  };
  return table;
}

}  // namespace rotator::cli
