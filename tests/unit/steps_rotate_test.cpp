#include <catch2/catch.hpp>

#include "crypto/jwk.h"
#include "crypto/pem.h"
#include "formats/names.h"
#include "frame/simulate.h"
#include "kube/rollout.h"
#include "steps/rotate.h"
#include "test_support.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::steps;
using formats::RotationKind;
using rotator::testing::fresh_ring;
using rotator::testing::secret_of;
using rotator::testing::t0;
using std::chrono::hours;
using std::chrono::minutes;
using Action = RotationChoice::Action;

namespace {

RotateOptions options_with(std::optional<std::string> id, RotationKind kind = RotationKind::scheduled) {
  RotateOptions options;
  options.rotation_id = std::move(id);
  options.new_rotation_id = "fresh-id";
  options.kind = kind;
  options.restart.mode = RestartMode::none;
  return options;
}

formats::KeyRing ring_in_progress(const std::string& id, RotationKind kind) {
  auto ring = fresh_ring();
  ring.rotation_history = {id};
  ring.in_progress = formats::RotationRecord{id, kind, t0, "revoke-and-rotate by user admin on host h"};
  return ring;
}

/// A Deployment whose pod template carries `kid` and whose rollout is complete or not.
kube::Json deployment(const std::string& kid, bool rolled_out) {
  return {{"metadata", {{"name", "token-management"}, {"namespace", "ns"}, {"generation", 2}}},
          {"spec", {{"replicas", 2}, {"template", {{"metadata", {{"annotations", {{"rotator.io/kid", kid}}}}}}}}},
          {"status",
           {{"observedGeneration", 2},
            {"updatedReplicas", 2},
            {"replicas", 2},
            {"availableReplicas", rolled_out ? 2 : 1}}}};
}

kube::Pod pod(const std::string& name, util::TimePoint created, bool ready, bool terminating = false) {
  kube::Pod p;
  p.metadata.name = name;
  p.metadata.uid = "uid-" + name;
  p.metadata.creation_timestamp = created;
  p.ready = ready;
  p.terminating = terminating;
  return p;
}

/// Steps a rotation through its decisions as the run would, applying each write
/// to the snapshot; `world` may change what controllers change (pods, rollouts)
/// before each decision. Returns the reasons of the writes, in order.
std::vector<std::string> walk(const RotateStep& step, frame::Snapshot& seen, util::TimePoint now,
                              const std::function<void(frame::Snapshot&, const frame::Decision&)>& world = {}) {
  std::vector<std::string> writes;
  for (int round = 0; round < 20; ++round) {
    const auto decision = step.decide(seen, {now, "revoke-and-rotate by test", "user test"});
    seen.remember(decision.remember);
    if (world) world(seen, decision);
    if (decision.finished()) return writes;
    if (decision.wait) {
      writes.push_back("wait: " + decision.wait->status);
      if (!world) return writes;
      continue;
    }
    for (const auto& change : decision.changes) {
      writes.push_back(change.verb() + " " + change.target("ns") + ": " + change.reason);
      frame::simulate(change, seen);
    }
  }
  FAIL("did not settle");
  return writes;
}

frame::Snapshot snapshot(const formats::KeyRing& ring) {
  return testing::snapshot_of({{"rsa-keys", secret_of(ring)}, {"admin-token", std::nullopt}});
}

/// What the next run sees: the same Secrets, none of this run's memory.
frame::Snapshot next_run(const frame::Snapshot& seen) {
  return testing::snapshot_of({{"rsa-keys", seen.secret("rsa-keys")}, {"admin-token", seen.secret("admin-token")}});
}

}  // namespace

TEST_CASE("rotation choice: a plain run resumes what is unfinished, an incident supersedes a scheduled one") {
  auto finished = fresh_ring();
  finished.rotation_history = {"done-1"};
  auto young = fresh_ring();
  RotateOptions aged = options_with(std::nullopt);
  aged.if_older_than = hours(24 * 30);
  struct Case {
    const char* name;
    formats::KeyRing ring;
    RotateOptions options;
    Action action;
    std::string id;
    RotationKind kind;
    const char* note;
  };
  std::vector<Case> cases;
  cases.push_back({"nothing unfinished, no id: a new rotation", fresh_ring(), options_with(std::nullopt), Action::start,
                   "fresh-id", RotationKind::scheduled, ""});
  cases.push_back({"nothing unfinished, an id: that rotation", fresh_ring(), options_with("job-1"), Action::start,
                   "job-1", RotationKind::scheduled, ""});
  cases.push_back({"the id already rotated: check what is left", std::move(finished), options_with("done-1"),
                   Action::resume, "done-1", RotationKind::scheduled, ""});
  cases.push_back({"unfinished, no id: resume it", ring_in_progress("open", RotationKind::scheduled),
                   options_with(std::nullopt), Action::resume, "open", RotationKind::scheduled, "resuming unfinished"});
  cases.push_back({"unfinished, another id (a new Job): resume it, not a second key",
                   ring_in_progress("open", RotationKind::scheduled), options_with("job-2"), Action::resume, "open",
                   RotationKind::scheduled, "instead of starting job-2"});
  cases.push_back({"unfinished scheduled, an incident: a fresh key supersedes it",
                   ring_in_progress("open", RotationKind::scheduled),
                   options_with(std::nullopt, RotationKind::incident), Action::start, "fresh-id",
                   RotationKind::incident, "supersedes unfinished scheduled rotation open"});
  cases.push_back({"unfinished incident, another incident run: resume it (its key is fresh already)",
                   ring_in_progress("open", RotationKind::incident), options_with(std::nullopt, RotationKind::incident),
                   Action::resume, "open", RotationKind::incident, "resuming"});
  cases.push_back({"unfinished, the same id: resume quietly", ring_in_progress("job-1", RotationKind::incident),
                   options_with("job-1"), Action::resume, "job-1", RotationKind::incident, ""});
  cases.push_back({"a young key with --if-older-than: nothing", std::move(young), aged, Action::too_young, "",
                   RotationKind::scheduled, "younger than --if-older-than 30d"});
  cases.push_back({"a young key, but an unfinished rotation: resume it",
                   ring_in_progress("open", RotationKind::scheduled), aged, Action::resume, "open",
                   RotationKind::scheduled, "resuming"});
  for (const auto& c : cases) {
    INFO(c.name);
    const auto choice = choose_rotation(c.ring, c.options, t0 + hours(1));
    CHECK(choice.action == c.action);
    CHECK(choice.id == c.id);
    CHECK(choice.kind == c.kind);
    CHECK_THAT(choice.note, Catch::Contains(c.note));
    if (std::string(c.note).empty()) CHECK(choice.note.empty());
  }
}

TEST_CASE("rotation: scheduled rotations keep every promise, an incident keeps none and says so") {
  auto keys = std::make_shared<testing::FastKeys>();
  auto options = options_with(std::nullopt);
  options.grace = hours(1);
  const RotateStep first(options, keys);
  auto seen = snapshot(fresh_ring());
  const std::string a = formats::read_key_ring(*seen.secret("rsa-keys"), t0, formats::WantStaged::no).ring.current.kid;
  walk(first, seen, t0);
  options.new_rotation_id = "second-id";
  const RotateStep second(options, keys);
  seen = next_run(seen);
  walk(second, seen, t0 + minutes(30));
  auto ring = formats::read_key_ring(*seen.secret("rsa-keys"), t0 + minutes(31), formats::WantStaged::yes).ring;
  REQUIRE(ring.retired.size() == 2);
  CHECK(ring.retired[0].kid == a);
  CHECK(ring.retired[0].trusted_until == t0 + hours(1));  // the first promise, unchanged by the second rotation
  CHECK(ring.retired[1].trusted_until == t0 + minutes(90));
  CHECK_FALSE(ring.in_progress.has_value());
  CHECK(ring.rotation_history == std::vector<std::string>{"fresh-id", "second-id"});

  auto incident = options_with(std::nullopt, RotationKind::incident);
  incident.new_rotation_id = "incident-id";
  const RotateStep third(incident, keys);
  const auto staged = ring.next->kid;
  seen = next_run(seen);
  const auto writes = walk(third, seen, t0 + minutes(40));
  REQUIRE_FALSE(writes.empty());
  ring = formats::read_key_ring(*seen.secret("rsa-keys"), t0 + minutes(41), formats::WantStaged::yes).ring;
  CHECK(ring.retired.empty());
  CHECK(ring.current.kid != staged);  // a leaked Secret leaked the staged key too
  CHECK(ring.former_kids.size() >= 3);
  CHECK_THAT(writes[0], Catch::Contains("incident rotation"));
}

TEST_CASE("rotation: only the write that takes the old key out is timed as the revocation, and it needs one key") {
  for (const auto kind : {RotationKind::scheduled, RotationKind::incident}) {
    auto keys = std::make_shared<testing::FastKeys>();
    auto options = options_with(std::nullopt, kind);
    options.grace = kind == RotationKind::scheduled ? hours(1) : hours(0);
    const RotateStep step(options, keys);
    auto seen = snapshot(fresh_ring());
    const auto first = step.decide(seen, {t0, "revoke-and-rotate by test", "user test"});
    REQUIRE(first.changes.size() == 1);
    if (kind == RotationKind::incident) {
      CHECK_THAT(first.changes[0].milestone, Catch::StartsWith("revocation in force: kid="));
      // One key generated before the revoking write: the staged key comes after it.
      CHECK(keys->generated == 1);
      // The line says how long that generation took (CPU ms; 0 or more for a fast test key).
      const auto& fields = first.changes[0].milestone_fields;
      REQUIRE(fields.size() == 1);
      CHECK(fields[0].first == "key_generation_cpu_ms");
      CHECK(std::get<long long>(fields[0].second.value()) >= 0);
    } else {
      CHECK(first.changes[0].milestone.empty());  // the old key stays trusted for its grace
      CHECK(keys->generated == 0);                // the staged key is promoted
    }
    frame::simulate(first.changes[0], seen);
    seen.remember(first.remember);
    const auto second = step.decide(seen, {t0, "revoke-and-rotate by test", "user test"});
    for (const auto& change : second.changes) CHECK(change.milestone.empty());
  }
}

TEST_CASE("rotation: the phases, each decided on what the previous write left") {
  auto keys = std::make_shared<testing::FastKeys>();
  SECTION("no restart: keys, admin token, then the staged key that finishes it") {
    const RotateStep step(options_with("r1"), keys);
    auto seen = snapshot(fresh_ring());
    const auto writes = walk(step, seen, t0);
    REQUIRE(writes.size() == 3);
    CHECK_THAT(writes[0], Catch::StartsWith("replace Secret ns/rsa-keys: rotation r1: promote staged key"));
    CHECK_THAT(writes[1], Catch::StartsWith("create Secret ns/admin-token: rotation r1: no admin token yet"));
    CHECK_THAT(writes[2], Catch::StartsWith("replace Secret ns/rsa-keys: rotation r1: finished; stage a new next key"));
    // Converged: the same rotation again decides nothing.
    CHECK(step.decide(seen, {t0, "", ""}).finished());
  }
  SECTION("rollout: patch the template, wait for the rollout, then finish") {
    auto options = options_with("r1");
    options.restart.mode = RestartMode::rollout;
    const RotateStep step(options, keys);
    auto seen = snapshot(fresh_ring());
    seen.put(frame::ObjectRef::workload(options.restart.target), std::optional<kube::Json>(deployment("old", true)));
    int waits = 0;
    const auto writes = walk(step, seen, t0, [&](frame::Snapshot& world, const frame::Decision& decision) {
      if (!decision.wait) return;
      // The controller finishes the rollout after two polls.
      const auto kid = kube::pod_template_annotations(*world.workload(options.restart.target)).at("rotator.io/kid");
      world.put(frame::ObjectRef::workload(options.restart.target),
                std::optional<kube::Json>(deployment(kid, ++waits > 2)));
    });
    REQUIRE(writes.size() == 7);
    CHECK_THAT(writes[2], Catch::StartsWith("patch deployment/token-management: rotation r1: restart for kid="));
    CHECK_THAT(writes[3], Catch::StartsWith("wait: Waiting for deployment spec update to be observed"));
    CHECK_THAT(writes[4], Catch::StartsWith("wait: ") && Catch::Contains("1 of 2 updated replicas are available"));
    CHECK_THAT(writes[6], Catch::Contains("finished"));
  }
  SECTION("delete-pods: delete the old pods, record it, wait for the new ones, then finish") {
    auto options = options_with("r1", RotationKind::incident);
    options.restart.mode = RestartMode::delete_pods;
    const RotateStep step(options, keys);
    auto seen = snapshot(fresh_ring());
    seen.put(frame::ObjectRef::workload(options.restart.target), std::optional<kube::Json>(deployment("x", true)));
    const auto later = t0 + hours(1);
    seen.put(frame::ObjectRef::pods(options.restart.selector),
             std::vector<kube::Pod>{pod("a", t0, true), pod("b", t0, true)});
    int polls = 0;
    const auto writes = walk(step, seen, later, [&](frame::Snapshot& world, const frame::Decision& decision) {
      if (!decision.wait) return;
      ++polls;  // replacements come up on the second poll
      world.put(frame::ObjectRef::pods(options.restart.selector),
                std::vector<kube::Pod>{pod("c", later + std::chrono::seconds(1), polls > 1),
                                       pod("d", later + std::chrono::seconds(1), polls > 1)});
    });
    CHECK_THAT(writes[0], Catch::Contains("incident rotation"));
    CHECK_THAT(writes[2], Catch::StartsWith("delete Pod ns/a"));
    CHECK_THAT(writes[3], Catch::StartsWith("delete Pod ns/b"));
    CHECK_THAT(writes[4], Catch::Contains("are deleted"));
    CHECK_THAT(writes[5], Catch::StartsWith("wait: 0 of 2 pods ready"));
    CHECK_THAT(writes.back(), Catch::Contains("finished"));
  }
}

TEST_CASE("rotation: a plain run that resumed an unfinished rotation finishes it and starts no other") {
  auto keys = std::make_shared<testing::FastKeys>();
  const RotateStep step(options_with(std::nullopt), keys);
  auto ring = ring_in_progress("open", RotationKind::scheduled);
  auto seen = snapshot(ring);
  const auto first = step.decide(seen, {t0, "", ""});
  CHECK_THAT(first.note, Catch::Contains("resuming unfinished scheduled rotation open"));
  const auto writes = walk(step, seen, t0);
  REQUIRE(writes.size() == 2);  // the admin token, then the staged key that finishes it
  CHECK_THAT(writes[0], Catch::Contains("rotation open"));
  CHECK_THAT(writes[1], Catch::Contains("rotation open: finished"));
  const auto after = formats::read_key_ring(*seen.secret("rsa-keys"), t0, formats::WantStaged::yes).ring;
  CHECK(after.rotation_history == std::vector<std::string>{"open"});
  CHECK_FALSE(after.in_progress.has_value());
}

TEST_CASE("rotation pre-flight: a missing restart target fails before any write, unless nothing is to be done") {
  auto options = options_with(std::nullopt);
  options.restart.mode = RestartMode::rollout;
  const RotateStep step(options, std::make_shared<testing::FastKeys>());
  auto seen = snapshot(fresh_ring());
  seen.put(frame::ObjectRef::workload(options.restart.target), std::optional<kube::Json>());
  CHECK_THROWS_WITH(step.preflight(seen), Catch::Contains("deployment/token-management not found in namespace ns") &&
                                              Catch::Contains("--restart none"));
  auto aged = options;
  aged.if_older_than = hours(24 * 365 * 100);
  CHECK_NOTHROW(RotateStep(aged, std::make_shared<testing::FastKeys>()).preflight(seen));

  // No keys yet (absent, or the install's empty Secret): key-gen before it makes a
  // key too young for --if-older-than, so nothing will be restarted; without
  // --if-older-than the new key is rotated at once and the target is needed.
  for (const auto& keys : {std::optional<kube::Secret>(), std::optional<kube::Secret>(kube::Secret{})}) {
    auto empty = testing::snapshot_of({{"rsa-keys", keys}});
    empty.put(frame::ObjectRef::workload(options.restart.target), std::optional<kube::Json>());
    CHECK_NOTHROW(RotateStep(aged, std::make_shared<testing::FastKeys>()).preflight(empty));
    CHECK_THROWS_WITH(step.preflight(empty), Catch::Contains("not found"));
  }

  auto deleting = options_with(std::nullopt, RotationKind::incident);
  deleting.restart.mode = RestartMode::delete_pods;
  seen.put(frame::ObjectRef::pods(deleting.restart.selector), std::vector<kube::Pod>{});
  CHECK_THROWS_WITH(RotateStep(deleting, std::make_shared<testing::FastKeys>()).preflight(seen),
                    Catch::Contains("no pods match --selector app=token-management"));
}

TEST_CASE(
    "rotation keeps the ring's key form: the current key's, or --key-form, and a staged key in it keeps its text") {
  using crypto::PrivateKeyForm;
  const auto key = [](int which, PrivateKeyForm form) {
    return formats::signing_key_from_pem(testing::rsa_pem(which, form));
  };
  struct Case {
    const char* name;
    PrivateKeyForm current;
    std::optional<PrivateKeyForm> staged;  ///< nullopt: none staged, a fresh key
    RotationKind kind;
    std::optional<PrivateKeyForm> asked;
    PrivateKeyForm form;
    bool staged_text_kept;
  };
  const Case cases[] = {
      {"PKCS#1 promoted", PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs1, RotationKind::scheduled, std::nullopt,
       PrivateKeyForm::pkcs1, true},
      {"PKCS#8 staged in a PKCS#1 ring (written by hand)", PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs8,
       RotationKind::scheduled, std::nullopt, PrivateKeyForm::pkcs1, false},
      {"PKCS#1, no staged key", PrivateKeyForm::pkcs1, std::nullopt, RotationKind::scheduled, std::nullopt,
       PrivateKeyForm::pkcs1, false},
      {"PKCS#1 incident", PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs1, RotationKind::incident, std::nullopt,
       PrivateKeyForm::pkcs1, false},
      {"PKCS#8 promoted", PrivateKeyForm::pkcs8, PrivateKeyForm::pkcs8, RotationKind::scheduled, std::nullopt,
       PrivateKeyForm::pkcs8, true},
      {"PKCS#1 ring, --key-form pkcs8", PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs1, RotationKind::scheduled,
       PrivateKeyForm::pkcs8, PrivateKeyForm::pkcs8, false},
      {"PKCS#8 ring, --key-form pkcs1", PrivateKeyForm::pkcs8, PrivateKeyForm::pkcs8, RotationKind::incident,
       PrivateKeyForm::pkcs1, PrivateKeyForm::pkcs1, false},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    formats::KeyRing ring;
    ring.current = key(0, c.current);
    if (c.staged) ring.next = key(1, *c.staged);
    ring.created_at = t0;
    auto options = options_with("r1", c.kind);
    options.key_form = c.asked;
    const RotationChoice choice{Action::start, "r1", c.kind, {}};
    const auto rotated = rotated_ring(std::move(ring), choice, options, t0 + hours(1), "test", [&] {
      return formats::signing_key_from_pem(testing::rsa_pem(2, PrivateKeyForm::pkcs8));
    });
    CHECK(rotated.current.form == c.form);
    CHECK(rotated.current.pem.empty() == !c.staged_text_kept);
    const auto secret = secret_of(rotated);
    CHECK(crypto::private_key_pem_form(secret.data.at("private.pem")) == c.form);
    if (c.staged_text_kept) {
      const bool staged_text = secret.data.at("private.pem") == testing::rsa_pem(1, c.form);
      CHECK(staged_text);
    }
  }
}
