#include "cli/command_table.h"

int main(int argc, char** argv) { return rotator::cli::run_command_line(argc, argv); }
