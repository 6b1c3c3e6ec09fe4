#include "commands/influxctl_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/errors.h"
#include "util/private_file.h"

namespace rotator::commands {
namespace {

std::optional<std::string> read_existing(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

formats::InfluxctlConfigEdit edit(const std::filesystem::path& path, const std::string& profile,
                                  formats::InfluxctlSetting setting, const std::string& value,
                                  const NewProfileAddress& address) {
  formats::InfluxctlConfigRequest request;
  request.profile = profile;
  request.setting = setting;
  request.value = value;
  request.host = address.host;
  request.port = address.port;
  request.source_name = path.string();
  const auto existing = read_existing(path);
  return formats::edit_influxctl_config(existing ? std::optional<std::string_view>(*existing) : std::nullopt, request);
}

util::WrittenFile write_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  }
  // The user's file: it keeps its owner and mode (the caller warns when others
  // may read it); a new one is 0600 (util/private_file.h).
  util::FileWriteOptions options;
  options.existing = util::ExistingFile::keep_owner_and_mode;
  options.max_mode = 0777;
  return util::write_file_atomically(path, content, options);
}

}  // namespace

void check_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                   formats::InfluxctlSetting setting, const NewProfileAddress& address) {
  edit(path, profile, setting, "placeholder", address);
}

std::vector<std::string> set_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                                     formats::InfluxctlSetting setting, const std::string& value,
                                                     const NewProfileAddress& address) {
  auto edited = edit(path, profile, setting, value, address);
  const auto written = write_atomically(path, edited.text);
  if ((written.mode & 0077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(written.mode & 07777));
    edited.notes.push_back("warning: " + path.string() + " is readable by others (mode " + mode +
                           ") and holds a token now; its mode was kept: chmod 600 " + path.string() +
                           " if it should not be");
  }
  return edited.notes;
}

void add_influxctl_address_options(cli::po::options_description& options) {
  options.add_options()(std::string(formats::influxctl_host_flag).substr(2).c_str(),
                        cli::po::value<std::string>()->value_name("HOST"),
                        "host of a profile created in influxctl's config.toml (e.g. cluster-host.com)")(
      std::string(formats::influxctl_port_flag).substr(2).c_str(), cli::po::value<std::string>()->value_name("PORT"),
      "port of a profile created in influxctl's config.toml (e.g. 443)");
}

NewProfileAddress influxctl_address_from(const cli::po::variables_map& options) {
  NewProfileAddress address;
  const std::string host(formats::influxctl_host_flag.substr(2));
  const std::string port(formats::influxctl_port_flag.substr(2));
  if (options.count(host)) address.host = options[host].as<std::string>();
  if (options.count(port)) address.port = options[port].as<std::string>();
  return address;
}

}  // namespace rotator::commands
