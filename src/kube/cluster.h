#pragma once

// Typed calls about the cluster itself rather than one namespaced object: which
// namespaces exist, which server answers, who the API server says we are, and
// what we may do.

#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"

namespace rotator::kube {

/// core/v1 Namespaces.
class NamespaceApi {
 public:
  explicit NamespaceApi(Client& client) : client_(client) {}
  /// Names of the namespaces matching `label_selector` (all when empty).
  std::vector<std::string> list(const std::string& label_selector);
  /// Whether the namespace exists.
  bool exists(const std::string& name);

 private:
  Client& client_;
};

/// The server's /version.
struct ServerVersion {
  std::string git_version;  ///< e.g. "v1.20.2"; "unknown" when not reported
};
ServerVersion server_version(Client& client);

/// The user name the API server reports for the client's credentials
/// (SelfSubjectReview, Kubernetes 1.28+); nullopt where the server has no such
/// API (404) or refuses it. Never throws for those.
std::optional<std::string> reviewed_user_name(Client& client);

/// One API right: a verb on a resource, in a namespace, optionally on one name.
struct Access {
  std::string verb;      ///< get, list, create, update, patch, delete
  std::string group;     ///< "" for the core group, "apps", "coordination.k8s.io"
  std::string resource;  ///< secrets, pods, deployments, leases, events
  std::string name;      ///< empty: any object of the resource
  auto operator<=>(const Access&) const = default;
};

/// kubectl's spelling: "update secrets/rsa-keys", "patch deployments.apps/x".
std::string describe(const Access& access);

/// Which of `needed` the client may NOT do in `ns`: one SelfSubjectRulesReview,
/// evaluated here; when the server says the rule list is incomplete (a webhook
/// authorizer), one SelfSubjectAccessReview per right instead.
std::vector<Access> missing_rights(Client& client, const std::string& ns, const std::vector<Access>& needed);

/// Pure: whether the rules of a SelfSubjectRulesReview's status grant `access`.
bool rules_allow(const Json& resource_rules, const Access& access);

}  // namespace rotator::kube
