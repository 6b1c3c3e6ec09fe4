#include <iostream>

#include <curl/curl.h>
#include <openssl/opensslv.h>

#include "commands/commands.h"

namespace rotator::commands {

cli::CommandSpec version_command() {
  return {
      .name = "version",
      .synopsis = "version",
      .summary = "print rotator's version and the libraries it was built with",
      .details = "Needs no cluster.",
      .examples = "  rotator version",
      .add_options = {},
      .max_positionals = 0,
      .run =
          [](const cli::Invocation&) {
            std::cout << "rotator " << ROTATOR_VERSION << " (libcurl " << LIBCURL_VERSION << ", "
                      << OPENSSL_VERSION_TEXT << ")\n";
            return ExitCode::success;
          },
  };
}

}  // namespace rotator::commands
