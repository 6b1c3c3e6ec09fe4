#include <catch2/catch.hpp>

#include "formats/names.h"
#include "formats/registry.h"
#include "formats/token_file.h"
#include "health/verdict.h"
#include "steps/admin_token.h"
#include "test_support.h"

using namespace rotator;
using namespace rotator::health;
using rotator::testing::fresh_ring;
using rotator::testing::secret_of;
using rotator::testing::t0;
using rotator::testing::token_secret;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

template <typename T>
Read<T> found(T value) {
  Read<T> read;
  read.state = ReadState::ok;
  read.value = std::move(value);
  return read;
}

template <typename T>
Read<T> refused(ReadState state, std::string message) {
  Read<T> read;
  read.state = state;
  read.message = std::move(message);
  return read;
}

kube::Pod pod_created(util::TimePoint at, const std::string& restarted_for = "") {
  kube::Pod pod;
  pod.metadata.name = "token-management-1";
  pod.metadata.creation_timestamp = at;
  if (!restarted_for.empty()) pod.metadata.annotations[formats::restart_kid_annotation] = restarted_for;
  pod.phase = "Running";
  pod.ready = true;
  return pod;
}

/// A namespace where everything is as it should be: a full ring created at t0,
/// a token signed by it, one pod started after the key, a free lock.
Observed healthy_namespace(const formats::KeyRing& ring) {
  Observed seen;
  seen.namespace_ = "ns";
  seen.keys = found(secret_of(ring));
  seen.admin_token =
      found(token_secret(formats::serialize_token_file(steps::mint_admin_token(ring, steps::AdminTokenOptions{}, t0))));
  seen.pods = found(std::vector<kube::Pod>{pod_created(t0 + seconds(5))});
  seen.lock = found(frame::LockState{});
  return seen;
}

bool mentions(const Report& report, const std::string& text) {
  for (const auto& reason : report.reasons) {
    if (reason.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("health: each finding gives its verdict and a reason naming the next step") {
  const formats::KeyRing ring = fresh_ring();
  const util::TimePoint now = t0 + hours(1);
  const Options defaults;

  struct Case {
    const char* name;
    std::function<void(Observed&, Options&)> change;
    Verdict verdict;
    const char* reason;  ///< a part of the first reason ("" when healthy)
  };
  const Case cases[] = {
      {"everything in place", [](Observed&, Options&) {}, Verdict::healthy, ""},
      {"no pods to judge is not a fault", [](Observed& s, Options&) { s.pods = found(std::vector<kube::Pod>{}); },
       Verdict::healthy, ""},
      {"a pod restarted for the current key",
       [&](Observed& s, Options&) {
         s.pods = found(std::vector<kube::Pod>{pod_created(t0 - hours(5), ring.current.kid)});
       },
       Verdict::healthy, ""},
      {"the namespace is missing", [](Observed& s, Options&) { s.namespace_missing = true; }, Verdict::broken,
       "namespace ns does not exist"},
      {"no keys Secret", [](Observed& s, Options&) { s.keys = Read<kube::Secret>{}; }, Verdict::broken,
       "rotator run jobs/bootstrap.yaml -n ns"},
      {"an empty placeholder keys Secret",
       [](Observed& s, Options&) {
         kube::Secret empty;
         empty.metadata.name = "rsa-keys";
         s.keys = found(empty);
       },
       Verdict::broken, "rsa-keys is empty"},
      {"keys not readable",
       [](Observed& s, Options&) {
         s.keys = refused<kube::Secret>(ReadState::forbidden, "secrets \"rsa-keys\" is forbidden");
       },
       Verdict::broken, "not allowed to read Secret ns/rsa-keys"},
      {"keys unreadable data",
       [](Observed& s, Options&) {
         kube::Secret bad;
         bad.metadata.name = "rsa-keys";
         bad.data["private.pem"] = "not a key";
         s.keys = found(bad);
       },
       Verdict::broken, "--force replaces the keys"},
      {"no admin token", [](Observed& s, Options&) { s.admin_token = Read<kube::Secret>{}; }, Verdict::broken,
       "rotator create-admin-token -n ns"},
      {"an admin token of another key",
       [](Observed& s, Options&) {
         s.admin_token = found(token_secret(
             formats::serialize_token_file(steps::mint_admin_token(fresh_ring(), steps::AdminTokenOptions{}, t0))));
       },
       Verdict::broken, "the admin token does not verify"},
      {"an admin token that is not a token file",
       [](Observed& s, Options&) { s.admin_token = found(token_secret("{not json")); }, Verdict::broken, "--force"},
      {"a pod started before the key",
       [](Observed& s, Options&) { s.pods = found(std::vector<kube::Pod>{pod_created(t0 - hours(5))}); },
       Verdict::broken, "1 of 1 pods of app=token-management started before signing key"},
      {"a pod restarted for an older key",
       [](Observed& s, Options&) { s.pods = found(std::vector<kube::Pod>{pod_created(t0 + hours(2), "old-kid")}); },
       Verdict::broken, "hold an older key: kubectl -n ns rollout restart deployment/token-management"},
      {"the admin token expires within the warning",
       [&](Observed& s, Options&) {
         steps::AdminTokenOptions short_lived;
         short_lived.ttl = hours(48);
         s.admin_token =
             found(token_secret(formats::serialize_token_file(steps::mint_admin_token(ring, short_lived, t0))));
       },
       Verdict::degraded, "the admin token expires at 2026-01-03T00:00:00Z"},
      {"a shorter warning keeps that token healthy",
       [&](Observed& s, Options& o) {
         steps::AdminTokenOptions short_lived;
         short_lived.ttl = hours(48);
         s.admin_token =
             found(token_secret(formats::serialize_token_file(steps::mint_admin_token(ring, short_lived, t0))));
         o.expiry_warning = hours(24);
       },
       Verdict::healthy, ""},
      {"no staged next key",
       [&](Observed& s, Options&) {
         formats::KeyRing unstaged = fresh_ring();
         unstaged.next.reset();
         s.keys = found(secret_of(unstaged));
         s.admin_token = found(token_secret(
             formats::serialize_token_file(steps::mint_admin_token(unstaged, steps::AdminTokenOptions{}, t0))));
       },
       Verdict::degraded, "no staged next key: rotator key-gen -n ns"},
      {"a key older than --max-key-age", [](Observed&, Options& o) { o.max_key_age = std::chrono::minutes(30); },
       Verdict::degraded, "is older than --max-key-age 30m"},
      {"a key younger than --max-key-age", [](Observed&, Options& o) { o.max_key_age = hours(2); }, Verdict::healthy,
       ""},
      {"an unfinished rotation, with pods still on the old key",
       [&](Observed& s, Options&) {
         kube::Secret keys = secret_of(ring);
         formats::KeyRing rotating = formats::inspect_key_ring(keys, t0, formats::WantStaged::yes).ring;
         rotating.in_progress = formats::RotationRecord{"r-1", formats::RotationKind::scheduled, t0, "test"};
         formats::store_key_ring(rotating, keys);
         s.keys = found(keys);
         s.pods = found(std::vector<kube::Pod>{pod_created(t0 - hours(5))});
       },
       Verdict::degraded, "rotation r-1 is unfinished since 2026-01-01T00:00:00Z: rerun rotator revoke-and-rotate"},
      {"a lock held past its lease",
       [](Observed& s, Options&) {
         frame::LockState held;
         held.held = true;
         held.expired = true;
         held.holder = "rotator@host/123";
         s.lock = found(held);
       },
       Verdict::degraded, "rotator unlock -n ns"},
      {"a lock held by a live run is no finding",
       [](Observed& s, Options&) {
         frame::LockState held;
         held.held = true;
         held.holder = "rotator@host/123";
         s.lock = found(held);
       },
       Verdict::healthy, ""},
      {"a token registry that cannot be read",
       [](Observed& s, Options&) {
         kube::Secret registry;
         registry.metadata.name = "database-tokens";
         registry.data[std::string(formats::registry_data_key)] = "[not json";
         s.database_registry = found(registry);
       },
       Verdict::degraded, "the database token registry cannot be read"},
      {"broken comes before degraded",
       [](Observed& s, Options& o) {
         o.max_key_age = std::chrono::minutes(1);
         s.admin_token = Read<kube::Secret>{};
       },
       Verdict::broken, "no admin token"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Observed seen = healthy_namespace(ring);
    Options options = defaults;
    c.change(seen, options);
    const Report report = judge(seen, options, now);
    CHECK(report.verdict == c.verdict);
    if (c.verdict == Verdict::healthy) {
      CHECK(report.reasons.empty());
    } else {
      REQUIRE_FALSE(report.reasons.empty());
      CHECK_THAT(report.reasons.front(), Catch::Contains(c.reason));
    }
    // No key or token material in any reason.
    for (const auto& reason : report.reasons) {
      CHECK(reason.find("PRIVATE KEY") == std::string::npos);
      CHECK(reason.find("eyJ") == std::string::npos);
    }
  }
}

TEST_CASE("health: every finding is listed, broken ones first") {
  const formats::KeyRing ring = fresh_ring();
  Observed seen = healthy_namespace(ring);
  Options options;
  options.max_key_age = std::chrono::minutes(1);
  seen.pods = found(std::vector<kube::Pod>{pod_created(t0 - hours(5))});
  const Report report = judge(seen, options, t0 + hours(1));
  CHECK(report.verdict == Verdict::broken);
  REQUIRE(report.reasons.size() == 2);
  CHECK(mentions(report, "hold an older key"));
  CHECK(mentions(report, "--max-key-age"));
  CHECK_THAT(report.reasons.back(), Catch::Contains("--max-key-age"));
}

TEST_CASE("health: every unreadable part is reported, not guessed") {
  const formats::KeyRing ring = fresh_ring();
  Observed seen = healthy_namespace(ring);
  seen.workload = refused<kube::Json>(ReadState::forbidden, "deployments is forbidden");
  seen.lock = refused<frame::LockState>(ReadState::error, "timed out");
  seen.management_registry = refused<kube::Secret>(ReadState::forbidden, "secrets is forbidden");
  const Report report = judge(seen, Options{}, t0 + hours(1));
  CHECK(report.restart.state == "forbidden");
  CHECK(report.lock.state == "error");
  CHECK(report.management_tokens.state == "forbidden");
  CHECK(report.keys.state == "ok");
  CHECK(report.admin_token.verifies);
}

TEST_CASE("health: the report carries what was found, for tables and metrics") {
  formats::KeyRing ring = fresh_ring();
  Observed seen = healthy_namespace(ring);
  seen.pods = found(std::vector<kube::Pod>{pod_created(t0 + seconds(5)), pod_created(t0 - hours(1))});
  const Report report = judge(seen, Options{}, t0 + hours(1));
  CHECK(report.keys.kid == ring.current.kid);
  CHECK(report.keys.staged_kid == ring.next->kid);
  CHECK(report.keys.created_at == t0);
  CHECK(report.admin_token.kid == ring.current.kid);
  CHECK_FALSE(report.admin_token.expires_at.has_value());
  CHECK(report.restart.pods == 2);
  CHECK(report.restart.pods_on_current_key == 1);
  CHECK(report.restart.runs_current_key == false);
}

TEST_CASE("health: whether a pod loaded the current key") {
  formats::KeyRing ring = fresh_ring();
  CHECK(pod_runs_key(pod_created(t0 - hours(1), ring.current.kid), ring));
  CHECK_FALSE(pod_runs_key(pod_created(t0 + hours(1), "other"), ring));
  CHECK(pod_runs_key(pod_created(t0 + seconds(1)), ring));
  CHECK_FALSE(pod_runs_key(pod_created(t0 - seconds(1)), ring));
  // The key's own second: new only when delete-pods recorded it replaced the pods.
  CHECK_FALSE(pod_runs_key(pod_created(t0), ring));
  ring.pods_restarted_for_kid = ring.current.kid;
  CHECK(pod_runs_key(pod_created(t0), ring));
  kube::Pod unknown_age;
  CHECK_FALSE(pod_runs_key(unknown_age, ring));
}
