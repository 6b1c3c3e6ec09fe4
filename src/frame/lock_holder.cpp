#include "frame/lock_holder.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/random.h"
#include "util/json_fields.h"

namespace rotator::frame {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// What /proc/PID/stat says of a process: its state (field 3) and its start time
/// in clock ticks since boot (field 22). The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from its closing parenthesis.
struct ProcessStat {
  char state = '?';
  unsigned long long start_ticks = 0;
};

std::optional<ProcessStat> stat_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  ProcessStat result;
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index == 3) result.state = field[0];
    if (index == 22) {
      result.start_ticks = std::strtoull(field.c_str(), nullptr, 10);
      return result;
    }
  }
  return std::nullopt;
}

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "unknown";
  return host;
}

std::string pid_namespace_of_self() {
  std::error_code error;
  const auto target = std::filesystem::read_symlink("/proc/self/ns/pid", error);
  return error ? std::string() : target.string();
}

/// The pod this process runs in: POD_NAME/POD_NAMESPACE from the downward API, or
/// (in a pod without them) the hostname and the service account's namespace.
std::pair<std::string, std::string> own_pod() {
  const char* name = std::getenv("POD_NAME");
  const char* ns = std::getenv("POD_NAMESPACE");
  if (name && *name && ns && *ns) return {name, ns};
  if (std::getenv("KUBERNETES_SERVICE_HOST") == nullptr) return {};
  const std::string sa_namespace = first_line("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  if (sa_namespace.empty()) return {};
  return {host_name(), sa_namespace};
}

}  // namespace

std::string LockHolder::who() const {
  std::string text = command.empty() ? "rotator" : command;
  if (!user.empty()) text += " by " + user;
  return text + (pod.empty() ? " on host " + host : " in pod " + pod_namespace + "/" + pod);
}

std::string LockHolder::identity() const {
  std::string text = who() + " (pid " + std::to_string(pid);
  if (!rotation_id.empty()) text += ", rotation " + rotation_id;
  return text + ") #" + nonce;
}

nlohmann::json LockHolder::to_json() const {
  return {{"command", command},
          {"user", user},
          {"host", host},
          {"pid", pid},
          {"bootId", boot_id},
          {"pidNamespace", pid_namespace},
          {"startTicks", start_ticks},
          {"pod", pod},
          {"podNamespace", pod_namespace},
          {"rotationId", rotation_id},
          {"nonce", nonce}};
}

std::optional<LockHolder> LockHolder::from_json(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  LockHolder holder;
  holder.command = util::string_member(json, "command");
  holder.user = util::string_member(json, "user");
  holder.host = util::string_member(json, "host");
  holder.boot_id = util::string_member(json, "bootId");
  holder.pid_namespace = util::string_member(json, "pidNamespace");
  holder.pod = util::string_member(json, "pod");
  holder.pod_namespace = util::string_member(json, "podNamespace");
  holder.rotation_id = util::string_member(json, "rotationId");
  holder.nonce = util::string_member(json, "nonce");
  const auto pid = json.find("pid");
  const auto ticks = json.find("startTicks");
  if (pid == json.end() || !pid->is_number_integer() || ticks == json.end() || !ticks->is_number_unsigned()) {
    return std::nullopt;
  }
  holder.pid = pid->get<long>();
  holder.start_ticks = ticks->get<unsigned long long>();
  return holder;
}

LockHolder this_process(const std::string& command, const std::string& user, const std::string& rotation_id) {
  LockHolder holder;
  holder.command = command;
  holder.user = user;
  holder.host = host_name();
  holder.pid = ::getpid();
  holder.boot_id = first_line("/proc/sys/kernel/random/boot_id");
  holder.pid_namespace = pid_namespace_of_self();
  const auto own = stat_of(holder.pid);
  holder.start_ticks = own ? own->start_ticks : 0;
  std::tie(holder.pod, holder.pod_namespace) = own_pod();
  holder.rotation_id = rotation_id;
  holder.nonce = crypto::uuid_v4().substr(0, 8);
  return holder;
}

bool provably_dead_here(const LockHolder& other) {
  if (other.pid <= 0 || other.boot_id.empty() || other.pid_namespace.empty() || other.start_ticks == 0) return false;
  if (other.boot_id != first_line("/proc/sys/kernel/random/boot_id")) return false;
  if (other.pid_namespace != pid_namespace_of_self()) return false;
  const auto stat = stat_of(other.pid);
  if (!stat) return !std::filesystem::exists("/proc/" + std::to_string(other.pid));
  // A zombie holds nothing: it only waits for its parent to read its exit status.
  if (stat->state == 'Z' || stat->state == 'X') return true;
  return stat->start_ticks != other.start_ticks;
}

}  // namespace rotator::frame
