#include "kube/cluster.h"

#include <algorithm>

#include "kube/errors.h"
#include "kube/resources.h"
#include "util/json_fields.h"

namespace rotator::kube {
namespace {

const Json& member(const Json& object, const char* key) {
  static const Json absent;
  if (!object.is_object()) return absent;
  const auto it = object.find(key);
  return it == object.end() ? absent : *it;
}

bool contains_or_star(const Json& list, const std::string& value) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const Json& item) {
    return item.is_string() &&
           (item.get_ref<const std::string&>() == "*" || item.get_ref<const std::string&>() == value);
  });
}

bool access_review_allows(Client& client, const std::string& ns, const Access& access) {
  Json attributes = {{"namespace", ns}, {"verb", access.verb}, {"group", access.group}, {"resource", access.resource}};
  if (!access.name.empty()) attributes["name"] = access.name;
  const Json review = client.ask("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                 {{"apiVersion", "authorization.k8s.io/v1"},
                                  {"kind", "SelfSubjectAccessReview"},
                                  {"spec", {{"resourceAttributes", attributes}}}});
  const Json& allowed = member(member(review, "status"), "allowed");
  return allowed.is_boolean() && allowed.get<bool>();
}

}  // namespace

std::vector<std::string> NamespaceApi::list(const std::string& label_selector) {
  std::string path = "/api/v1/namespaces";
  if (!label_selector.empty()) path += "?labelSelector=" + url_encode(label_selector);
  const Json list = client_.get(path);
  std::vector<std::string> names;
  if (const auto items = list.find("items"); items != list.end() && items->is_array()) {
    for (const auto& item : *items) {
      const std::string name = meta_from_json(item).name;
      if (!name.empty()) names.push_back(name);
    }
  }
  return names;
}

bool NamespaceApi::exists(const std::string& name) {
  try {
    client_.get("/api/v1/namespaces/" + url_encode(name));
    return true;
  } catch (const ApiError& e) {
    if (e.reason() == Reason::not_found) return false;
    throw;
  }
}

ServerVersion server_version(Client& client) {
  const Json version = client.get("/version");
  ServerVersion result;
  result.git_version = util::string_member(version, "gitVersion");
  if (result.git_version.empty()) result.git_version = "unknown";
  return result;
}

std::optional<std::string> reviewed_user_name(Client& client) {
  try {
    const Json review = client.ask("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                   {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
    const std::string name = util::string_member(member(member(review, "status"), "userInfo"), "username");
    if (!name.empty()) return name;
  } catch (const ApiError& e) {
    // Older servers have no SelfSubjectReview (404); a 403 is an answer too. An
    // identity is nice to have, never worth failing for; a 401 fails the real
    // request that follows.
    if (e.reason() != Reason::not_found && e.reason() != Reason::forbidden) throw;
  }
  return std::nullopt;
}

std::string describe(const Access& access) {
  std::string resource = access.resource;
  if (!access.group.empty()) resource += "." + access.group;
  return access.verb + " " + resource + (access.name.empty() ? "" : "/" + access.name);
}

bool rules_allow(const Json& resource_rules, const Access& access) {
  if (!resource_rules.is_array()) return false;
  for (const auto& rule : resource_rules) {
    if (!contains_or_star(member(rule, "verbs"), access.verb)) continue;
    if (!contains_or_star(member(rule, "apiGroups"), access.group)) continue;
    if (!contains_or_star(member(rule, "resources"), access.resource)) continue;
    const Json& names = member(rule, "resourceNames");
    const bool any_name = !names.is_array() || names.empty();
    if (any_name || (!access.name.empty() && contains_or_star(names, access.name))) return true;
  }
  return false;
}

std::vector<Access> missing_rights(Client& client, const std::string& ns, const std::vector<Access>& needed) {
  const Json review = client.ask(
      "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
      {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SelfSubjectRulesReview"}, {"spec", {{"namespace", ns}}}});
  const Json& status = member(review, "status");
  const bool incomplete = member(status, "incomplete").is_boolean() && member(status, "incomplete").get<bool>();
  const Json& rules = member(status, "resourceRules");
  std::vector<Access> missing;
  for (const auto& access : needed) {
    if (rules_allow(rules, access)) continue;
    // The rule list may leave out what a webhook authorizer grants: ask for this one.
    if (incomplete && access_review_allows(client, ns, access)) continue;
    missing.push_back(access);
  }
  return missing;
}

}  // namespace rotator::kube
