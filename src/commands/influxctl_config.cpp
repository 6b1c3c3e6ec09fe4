#include "commands/influxctl_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/errors.h"

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

void write_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  }
  // Write beside it and rename, so readers see the old or the new file, never half.
  std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());  // mode 0600
  if (fd < 0) throw Error("cannot create a file in " + dir.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += std::size_t(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(ok ? errno : saved_errno);
    ::unlink(temp.c_str());
    throw Error("cannot write " + path.string() + ": " + reason);
  }
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
  write_atomically(path, edited.text);
  return edited.notes;
}

void add_influxctl_address_options(cli::po::options_description& options) {
  options.add_options()
      (std::string(formats::influxctl_host_flag).substr(2).c_str(), cli::po::value<std::string>()->value_name("HOST"),
       "host of a profile created in influxctl's config.toml (e.g. cluster-host.com)")
      (std::string(formats::influxctl_port_flag).substr(2).c_str(), cli::po::value<std::string>()->value_name("PORT"),
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
