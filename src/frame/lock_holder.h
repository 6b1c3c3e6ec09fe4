#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rotator::frame {

/// Who holds (or asks for) the lock: enough for an operator to know whom to ask,
/// and for a later run to prove the holder dead and take the lock at once.
struct LockHolder {
  std::string command;  ///< e.g. "revoke-and-rotate"
  std::string user;     ///< kubeconfig user or service account
  std::string host;     ///< hostname (the pod name in a pod)
  long pid = 0;
  std::string boot_id;                 ///< /proc/sys/kernel/random/boot_id: same machine, same boot
  std::string pid_namespace;           ///< /proc/self/ns/pid: pids compare only within one
  unsigned long long start_ticks = 0;  ///< the process's start time, so a reused pid is not taken for it
  std::string pod;                     ///< pod name and namespace, when running in one
  std::string pod_namespace;
  std::string rotation_id;  ///< the rotation the run works on, if any
  std::string nonce;        ///< makes the identity unique

  /// The Lease's holderIdentity: readable and unique, e.g.
  /// "revoke-and-rotate by user admin on host web1 (pid 812, rotation 3f0c...) #a1b2c3d4".
  std::string identity() const;
  /// Who, without the process details: "revoke-and-rotate by user admin on host web1".
  std::string who() const;
  nlohmann::json to_json() const;
  static std::optional<LockHolder> from_json(const nlohmann::json& json);
};

/// This process as a holder.
LockHolder this_process(const std::string& command, const std::string& user, const std::string& rotation_id);

/// Whether `other` is provably gone as far as this machine can tell: it ran on
/// this machine in this boot and pid namespace, and its process no longer exists
/// (or the pid now belongs to a process started at another time).
bool provably_dead_here(const LockHolder& other);

}  // namespace rotator::frame
