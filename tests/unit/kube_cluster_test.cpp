#include <catch2/catch.hpp>

#include "kube/cluster.h"

using namespace rotator::kube;

TEST_CASE("access review: rules grant a right by verb, group, resource and name, wildcards included") {
  const Json rules = Json::parse(R"([
    {"verbs":["get","update"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["rsa-keys"]},
    {"verbs":["create"],"apiGroups":[""],"resources":["events"]},
    {"verbs":["*"],"apiGroups":["coordination.k8s.io"],"resources":["leases"]},
    {"verbs":["patch"],"apiGroups":["apps"],"resources":["*"],"resourceNames":["token-management"]},
    {"verbs":"not a list","apiGroups":[""],"resources":["pods"]}
  ])");
  const std::tuple<const char*, Access, bool> cases[] = {
      {"named secret", {"update", "", "secrets", "rsa-keys"}, true},
      {"another secret", {"update", "", "secrets", "admin-token"}, false},
      {"create secrets: a named rule never grants it", {"create", "", "secrets", ""}, false},
      {"events of any name", {"create", "", "events", ""}, true},
      {"wildcard verb", {"delete", "coordination.k8s.io", "leases", "rotator-lock"}, true},
      {"wildcard resource", {"patch", "apps", "deployments", "token-management"}, true},
      {"wrong group", {"patch", "", "deployments", "token-management"}, false},
      {"malformed rule grants nothing", {"delete", "", "pods", ""}, false},
  };
  for (const auto& [name, access, allowed] : cases) {
    INFO(name);
    CHECK(rules_allow(rules, access) == allowed);
  }
  CHECK_FALSE(rules_allow(Json::object(), {"get", "", "secrets", ""}));
  CHECK(describe(Access{"patch", "apps", "deployments", "x"}) == "patch deployments.apps/x");
}
