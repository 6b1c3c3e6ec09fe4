#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/objects.h"

namespace rotator::kube {

/// DeleteOptions preconditions: delete only the object rotator looked at.
struct Preconditions {
  std::string uid;
  std::string resource_version;
};

/// core/v1 Secrets.
class SecretApi {
 public:
  explicit SecretApi(Client& client) : client_(client) {}
  /// nullopt when the Secret does not exist.
  std::optional<Secret> get(const std::string& ns, const std::string& name);
  /// Throws ApiError(already_exists) when it exists.
  Secret create(const Secret& secret);
  /// Replaces with the resourceVersion in secret.metadata; ApiError(conflict) when stale.
  Secret replace(const Secret& secret);

 private:
  Client& client_;
};

/// core/v1 Pods.
class PodApi {
 public:
  explicit PodApi(Client& client) : client_(client) {}
  /// The pods matching both selectors (either may be empty).
  std::vector<Pod> list(const std::string& ns, const std::string& label_selector,
                        const std::string& field_selector = {});
  void remove(const std::string& ns, const std::string& name, const Preconditions& preconditions);

 private:
  Client& client_;
};

enum class WorkloadKind { deployment, stateful_set, daemon_set };

/// "deployment/token-management", as kubectl names a workload.
struct WorkloadRef {
  WorkloadKind kind = WorkloadKind::deployment;
  std::string name;
};

/// Parses "deployment/NAME", "deploy/NAME", "statefulset/NAME", "sts/NAME",
/// "daemonset/NAME", "ds/NAME"; throws UsageError otherwise.
WorkloadRef parse_workload_ref(const std::string& text);
std::string to_string(const WorkloadRef& ref);

/// apps/v1 Deployments, StatefulSets and DaemonSets.
class WorkloadApi {
 public:
  explicit WorkloadApi(Client& client) : client_(client) {}
  /// nullopt when the workload does not exist.
  std::optional<Json> get(const std::string& ns, const WorkloadRef& ref);
  /// Sets annotations on the pod template: the way `kubectl rollout restart` restarts.
  Json patch_template_annotations(const std::string& ns, const WorkloadRef& ref,
                                  const std::map<std::string, std::string>& annotations);

 private:
  Client& client_;
};

/// coordination.k8s.io/v1 Leases.
class LeaseApi {
 public:
  explicit LeaseApi(Client& client) : client_(client) {}
  std::optional<Lease> get(const std::string& ns, const std::string& name);
  Lease create(const Lease& lease);
  /// Preconditioned on lease.metadata.resource_version.
  Lease update(const Lease& lease);
  /// A JSON Patch (RFC 6902): one request, applied atomically by the server, and
  /// refused whole (Invalid, 422) when one of its "test" operations fails.
  Lease patch(const std::string& ns, const std::string& name, const Json& operations);

 private:
  Client& client_;
};

/// core/v1 Events.
class EventApi {
 public:
  explicit EventApi(Client& client) : client_(client) {}
  void create(const EventSpec& event, util::TimePoint now);
  /// The Events of `ns` matching a field selector (e.g. "source=rotator"), as JSON.
  std::vector<Json> list(const std::string& ns, const std::string& field_selector);

 private:
  Client& client_;
};

/// "/api/v1/namespaces/NS/RESOURCE[/NAME]" or "/apis/GROUP/VERSION/namespaces/...".
std::string namespaced_path(const std::string& group_version, const std::string& ns, const std::string& resource,
                            const std::string& name = {});

}  // namespace rotator::kube
