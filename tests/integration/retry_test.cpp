#include <set>

#include <catch2/catch.hpp>

#include "cluster_fixture.h"
#include "kube/resources.h"

using namespace rotator;
using namespace rotator::testing;
using Json = nlohmann::json;

namespace {

kube::ClientOptions quick_retries() {
  kube::ClientOptions options;
  options.retry.base_delay = std::chrono::milliseconds(20);
  options.retry.max_delay = std::chrono::milliseconds(200);
  options.retry.max_attempts = 4;
  options.retry.budget = std::chrono::milliseconds(10000);
  return options;
}

/// The requests the proxy saw for one path, in order.
std::vector<Json> seen_for(FaultProxy& proxy, const std::string& path_fragment) {
  std::vector<Json> seen;
  for (const auto& r : proxy.requests()) {
    if (r["path"].get<std::string>().find(path_fragment) != std::string::npos) seen.push_back(r);
  }
  return seen;
}

}  // namespace

TEST_CASE("retry: 429 with Retry-After is waited out, then the request succeeds") {
  TestNamespace ns;
  FaultProxy proxy;
  proxy.set_rules(Json::array({{{"match", {{"path_regex", "/secrets/rate-limited$"}}},
                                {"action", "status"},
                                {"status", 429},
                                {"retry_after", 1},
                                {"times", 1}}}));
  auto client = proxy.client(quick_retries());
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(kube::SecretApi(*client).get(ns.name(), "rate-limited").has_value());
  const auto waited = std::chrono::steady_clock::now() - started;
  const auto seen = seen_for(proxy, "rate-limited");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0]["status"] == 429);
  CHECK(seen[1]["status"] == 404);
  CHECK(client->stats().retries == 1);
  // Honouring Retry-After is behaviour, not speed: the wait happened at all.
  CHECK(waited >= std::chrono::milliseconds(900));
}

TEST_CASE("retry: 503 twice, then success, a write is not lost") {
  TestNamespace ns;
  FaultProxy proxy;
  proxy.set_rules(Json::array({{{"match", {{"method", "POST"}, {"path_regex", "/secrets$"}}},
                                {"action", "status"},
                                {"status", 503},
                                {"times", 2}}}));
  auto client = proxy.client(quick_retries());
  kube::Secret s;
  s.metadata.name = "after-503";
  s.metadata.namespace_ = ns.name();
  s.data = {{"k", "v"}};
  kube::SecretApi(*client).create(s);
  const auto seen = seen_for(proxy, "/secrets");
  REQUIRE(seen.size() == 3);
  CHECK(seen[0]["status"] == 503);
  CHECK(seen[2]["status"] == 201);
  CHECK(kubectl({"-n", ns.name(), "get", "secret", "after-503"}).exit_code == 0);
}

TEST_CASE("retry: a dropped connection is retried on a new one") {
  TestNamespace ns;
  FaultProxy proxy;
  proxy.set_rules(
      Json::array({{{"match", {{"path_regex", "/secrets/dropped$"}}}, {"action", "reset_before"}, {"times", 1}}}));
  auto client = proxy.client(quick_retries());
  CHECK_FALSE(kube::SecretApi(*client).get(ns.name(), "dropped").has_value());
  const auto seen = seen_for(proxy, "dropped");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0]["action"] == "reset_before");
  CHECK(seen[1]["status"] == 404);
}

TEST_CASE("retry: garbage bodies are retried and, if they persist, reported without echoing them") {
  FaultProxy proxy;
  proxy.set_rules(Json::array({{{"match", {{"path_regex", "^/version$"}}}, {"action", "garbage_json"}}}));
  auto client = proxy.client(quick_retries());
  try {
    client->get("/version");
    FAIL("garbage accepted");
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::unreachable);
    CHECK_THAT(e.what(), Catch::Contains("not valid JSON") && !Catch::Contains("\"kind\": \"Secret\""));
  }
  CHECK(seen_for(proxy, "/version").size() == 4);  // max_attempts
}

TEST_CASE("retry: other 4xx are never retried, and persistent 503s end within the budget") {
  FaultProxy proxy;
  proxy.set_rules(Json::array({
      {{"match", {{"path_regex", "/forbidden$"}}}, {"action", "status"}, {"status", 403}},
      {{"match", {{"path_regex", "/unavailable$"}}}, {"action", "status"}, {"status", 503}},
  }));
  auto client = proxy.client(quick_retries());
  try {
    client->get("/api/v1/namespaces/default/secrets/forbidden");
    FAIL();
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::forbidden);
  }
  CHECK(seen_for(proxy, "forbidden").size() == 1);
  try {
    client->get("/api/v1/namespaces/default/secrets/unavailable");
    FAIL();
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::server_error);
    CHECK(e.http_status() == 503);
  }
  CHECK(seen_for(proxy, "unavailable").size() == 4);
}

TEST_CASE("retry: connections are reused between requests") {
  FaultProxy proxy;
  auto client = proxy.client();
  for (int i = 0; i < 5; ++i) client->get("/version");
  std::set<int> connections;
  for (const auto& r : proxy.requests()) connections.insert(r["conn"].get<int>());
  CHECK(connections.size() == 1);
}

TEST_CASE("retry: an API server that is down is reported as unreachable") {
  // A port nobody listens on: bind and close to find one.
  kube::ConnectionConfig config;
  config.server = "https://127.0.0.1:1";
  config.credentials = std::make_shared<kube::StaticCredentials>(kube::Credential{}, "none");
  kube::Client client(config, quick_retries());
  try {
    client.get("/version");
    FAIL();
  } catch (const kube::ApiError& e) {
    CHECK(e.reason() == kube::Reason::unreachable);
    CHECK_THAT(e.what(), Catch::Contains("cannot reach the API server at https://127.0.0.1:1"));
  }
  CHECK(client.stats().requests == 4);
}
