#include "cli/command_table.h"
#include "commands/commands.h"
#include "util/process_hardening.h"

int main(int argc, char** argv) {
  rotator::util::disable_core_dumps_or_exit();  // before any key or token is read
  return rotator::cli::run_command_line(argc, argv, rotator::commands::command_table());
}
