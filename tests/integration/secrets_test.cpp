#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "kube/resources.h"
#include "util/base64.h"

using namespace rotator;
using namespace rotator::testing;

namespace {

/// DeleteOptions preconditioned on one version of one object, as rotator deletes pods.
kube::Json preconditions(const std::string& uid, const std::string& resource_version) {
  return {{"apiVersion", "v1"},
          {"kind", "DeleteOptions"},
          {"preconditions", {{"uid", uid}, {"resourceVersion", resource_version}}}};
}

kube::Secret make_secret(const std::string& ns, const std::string& name, std::map<std::string, std::string> data) {
  kube::Secret s;
  s.metadata.name = name;
  s.metadata.namespace_ = ns;
  s.metadata.labels = {{"app.kubernetes.io/managed-by", "rotator"}};
  s.data = std::move(data);
  return s;
}
}  // namespace

TEST_CASE("secrets: create, get, replace and delete on the real API server, kubectl agrees") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);

  CHECK_FALSE(secrets.get(ns.name(), "rsa-keys").has_value());
  const std::string binary("\x00\x01\xff binary", 10);
  const auto created = secrets.create(make_secret(ns.name(), "rsa-keys", {{"a", "alpha"}, {"bin", binary}}));
  CHECK_FALSE(created.metadata.resource_version.empty());
  CHECK_FALSE(created.metadata.uid.empty());

  // kubectl, an independent client, sees exactly the bytes rotator wrote.
  const auto seen = kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "-o", "jsonpath={.data.bin}"});
  REQUIRE(seen.exit_code == 0);
  CHECK(util::base64_decode(seen.out) == binary);

  auto fetched = secrets.get(ns.name(), "rsa-keys");
  REQUIRE(fetched.has_value());
  CHECK(fetched->data.at("a") == "alpha");
  CHECK(fetched->metadata.labels.at("app.kubernetes.io/managed-by") == "rotator");

  fetched->data["a"] = "beta";
  const auto replaced = secrets.replace(*fetched);
  CHECK(replaced.metadata.resource_version != created.metadata.resource_version);
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys", "-o", "jsonpath={.data.a}"}).out ==
        util::base64_encode("beta"));

  const auto patched = kube::secret_from_json(
      client->patch(kube::namespaced_path("v1", ns.name(), "secrets", "rsa-keys"),
                    {{"metadata", {{"annotations", {{"rotator.io/test", "yes"}}}}}}, kube::PatchType::merge));
  CHECK(patched.metadata.annotations.at("rotator.io/test") == "yes");
  CHECK(patched.data.at("a") == "beta");

  client->remove(kube::namespaced_path("v1", ns.name(), "secrets", "rsa-keys"),
                 preconditions(patched.metadata.uid, patched.metadata.resource_version));
  CHECK_FALSE(secrets.get(ns.name(), "rsa-keys").has_value());
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "rsa-keys"}).exit_code != 0);
}

TEST_CASE("secrets: 409 AlreadyExists, 409 Conflict on a stale resourceVersion, 404") {
  TestNamespace ns;
  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);
  const auto first = secrets.create(make_secret(ns.name(), "s", {{"k", "v1"}}));

  try {
    secrets.create(make_secret(ns.name(), "s", {{"k", "other"}}));
    FAIL("second create succeeded");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::already_exists);
    CHECK(e.http_status() == 409);
    CHECK_THAT(e.what(), Catch::Contains("already exists"));
  }

  auto stale = first;
  auto current = first;
  current.data["k"] = "v2";
  secrets.replace(current);
  stale.data["k"] = "lost update";
  try {
    secrets.replace(stale);
    FAIL("stale replace succeeded");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::conflict);
    CHECK(e.http_status() == 409);
  }
  CHECK(secrets.get(ns.name(), "s")->data.at("k") == "v2");

  // A delete preconditioned on the stale version is refused, and nothing is lost.
  try {
    client->remove(kube::namespaced_path("v1", ns.name(), "secrets", "s"),
                   preconditions(first.metadata.uid, first.metadata.resource_version));
    FAIL("stale delete succeeded");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::conflict);
  }
  CHECK(secrets.get(ns.name(), "s").has_value());

  try {
    client->get(kube::namespaced_path("v1", ns.name(), "secrets", "absent"));
    FAIL("404 expected");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::not_found);
    CHECK(e.http_status() == 404);
  }
  try {
    secrets.replace(make_secret(ns.name(), "absent", {}));
    FAIL("replace without resourceVersion accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("without a resourceVersion"));
  }
}

TEST_CASE("secrets: a Secret in a namespace that does not exist is a clear 404") {
  auto client = TestCluster::get().client();
  kube::SecretApi secrets(*client);
  try {
    secrets.create(make_secret("no-such-namespace-" + unique_suffix(), "s", {{"k", "v"}}));
    FAIL("create in a missing namespace succeeded");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::not_found);
    CHECK_THAT(e.what(), Catch::Contains("namespaces"));
  }
}
