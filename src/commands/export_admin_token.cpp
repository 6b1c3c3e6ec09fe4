#include <filesystem>
#include <iostream>

#include "commands/commands.h"
#include "commands/influxctl_config.h"
#include "commands/session.h"
#include "formats/key_ring.h"
#include "formats/names.h"
#include "formats/token_file.h"
#include "kube/resources.h"
#include "util/errors.h"
#include "util/private_file.h"

namespace rotator::commands {
namespace {

ExitCode run_export(const cli::Invocation& invocation) {
  const std::string out = invocation.options["out"].as<std::string>();
  const std::string name = invocation.options["secret"].as<std::string>();
  const bool influxctl = invocation.options.count("influxctl-config") > 0;
  if (influxctl != (invocation.options.count("profile") > 0)) {
    throw UsageError("--influxctl-config and --profile go together");
  }
  if (influxctl && out == "-") throw UsageError("--influxctl-config needs a token file: pass --out FILE");
  if (influxctl) {
    // Refuse before touching anything if the config cannot take the change.
    check_influxctl_profile_value(invocation.options["influxctl-config"].as<std::string>(),
                                  invocation.options["profile"].as<std::string>(),
                                  formats::InfluxctlSetting::token_file, influxctl_address_from(invocation.options));
  }
  auto client = connect(invocation.globals);
  const std::string ns = client->config().namespace_;
  const auto secret = kube::SecretApi(*client).get(ns, name);
  if (!secret || formats::is_placeholder(*secret)) {
    throw Error("Secret " + ns + "/" + name + (secret ? " is empty" : " does not exist") +
                ": run `rotator create-admin-token -n " + ns + "` first");
  }
  const auto data = secret->data.find(formats::admin_secret::token);
  if (data == secret->data.end()) throw InvalidDataError("Secret " + ns + "/" + name + " has no \"token\" key");
  formats::parse_token_file(data->second);  // refuse to export something influxctl cannot read
  if (invocation.globals.dry_run == cli::GlobalOptions::DryRun::on) {
    std::cout << "export-admin-token: would write " << (out == "-" ? "stdout" : out) << " (mode 0600)\n";
    return ExitCode::success;
  }
  if (out == "-") {
    std::cout << data->second << "\n";
  } else {
    util::write_file_atomically(out, data->second);  // mode 0600, see util/private_file.h
    std::cerr << "export-admin-token: wrote " << out << " (mode 0600) from Secret " << ns << "/" << name << "\n";
    if (influxctl) {
      const std::string config = invocation.options["influxctl-config"].as<std::string>();
      const std::string profile = invocation.options["profile"].as<std::string>();
      const auto notes = set_influxctl_profile_value(config, profile, formats::InfluxctlSetting::token_file,
                                                     std::filesystem::absolute(out).lexically_normal().string(),
                                                     influxctl_address_from(invocation.options));
      for (const auto& note : notes) std::cerr << "export-admin-token: " << note << "\n";
      std::cerr << "export-admin-token: profile \"" << profile << "\" of " << config << " now reads " << out << "\n";
    }
  }
  report_stats(invocation.globals, *client);
  return ExitCode::success;
}

}  // namespace

cli::CommandSpec export_admin_token_command() {
  return {
      .name = "export-admin-token",
      .synopsis =
          "export-admin-token [--out token.json] [--secret admin-token] [--influxctl-config PATH --profile NAME]",
      .summary = "write the admin token file influxctl reads, mode 0600",
      .details =
          "The one-command form of\n"
          "  kubectl get secrets/admin-token --template={{.data.token}} | base64 -d > token.json\n"
          "that never leaves the file readable by others. --out - writes to stdout.",
      .examples =
          "  rotator export-admin-token -n influxdb --out ~/.influxctl/token.json\n"
          "  rotator export-admin-token -n influxdb --out ~/.config/influxctl/admin.json \\\n"
          "      --influxctl-config ~/.config/influxctl/config.toml --profile prod",
      .add_options =
          [](po::options_description& o) {
            o.add_options()("out", po::value<std::string>()->default_value("token.json")->value_name("FILE"),
                            "where to write the token file (- for stdout)")(
                "secret", po::value<std::string>()->default_value("admin-token")->value_name("NAME"),
                "Secret holding the admin token file")(
                "influxctl-config", po::value<std::string>()->value_name("PATH"),
                "also point [profile.auth.token] token_file of influxctl's config.toml at the file")(
                "profile", po::value<std::string>()->value_name("NAME"),
                "the influxctl profile to update (a new one needs --influxctl-host and --influxctl-port)");
            add_influxctl_address_options(o);
          },
      .max_positionals = 0,
      .run = run_export,
  };
}

}  // namespace rotator::commands
