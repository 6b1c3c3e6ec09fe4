#include "frame/run.h"

#include <algorithm>
#include <set>

#include "frame/absent_secrets.h"
#include "frame/events.h"
#include "frame/simulate.h"
#include "frame/write_record.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "util/errors.h"

namespace rotator::frame {
namespace {

/// A step that keeps deciding new writes after this many is not converging: a
/// bug, or someone fighting over the same objects. (Waiting rounds do not count:
/// a wait has its own timeout.)
constexpr int max_write_rounds = 64;
/// Conflicting writes (someone else wrote first) read and decided again.
constexpr int max_conflicts = 5;

enum class Applied { done, already_done, conflict };

std::string seconds_text(std::chrono::steady_clock::duration d) {
  return util::format_duration(std::chrono::duration_cast<std::chrono::seconds>(d));
}

std::string workload_kind_name(kube::WorkloadKind kind) {
  switch (kind) {
    case kube::WorkloadKind::deployment: return "Deployment";
    case kube::WorkloadKind::stateful_set: return "StatefulSet";
    case kube::WorkloadKind::daemon_set: return "DaemonSet";
  }
  return "Deployment";
}

/// A wait in progress: since when, and when it last said where it stands.
struct WaitProgress {
  Wait wait;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_report;
};

class NamespaceRun {
 public:
  NamespaceRun(kube::Client& client, const Plan& plan, const std::string& ns, const RunSettings& settings,
               Reporter& reporter)
      : client_(client),
        plan_(plan),
        settings_(settings),
        reporter_(reporter),
        snapshot_(ns, reporter.cluster()),
        holder_(this_process(plan.command, settings.user, plan.rotation_id)) {}

  Snapshot run() {
    try {
      for (const auto& step : plan_.steps) observe(*step);
      for (const auto& step : plan_.steps) step->preflight(snapshot_);
      for (std::size_t i = 0; i < plan_.steps.size(); ++i) {
        current_ = i;
        converge(*plan_.steps[i]);
      }
      return snapshot_;
    } catch (const Error& e) {
      const std::string note = unfinished_note();
      if (note.empty()) throw;
      throw Error(std::string(e.what()) + note, e.exit_code());
    }
  }

 private:
  const std::string& ns() const { return snapshot_.namespace_name(); }
  bool dry_run() const { return settings_.mode == RunSettings::Mode::dry_run; }

  /// What a failure leaves unfinished and the command that resumes it: after a
  /// write of this run, or when a step still sees work left (a resumed rotation
  /// that failed again before writing); "" when the run changed nothing.
  std::string unfinished_note() const {
    std::string note;
    for (std::size_t i = current_; i < plan_.steps.size(); ++i) {
      const std::string left = plan_.steps[i]->unfinished(snapshot_);
      if (!left.empty()) note += "; " + left;
    }
    if (note.empty() && !wrote_) return note;
    if (plan_.resume_command) note += "; resume with: " + plan_.resume_command(reporter_.cluster(), ns());
    return note;
  }

  void observe(const Step& step) {
    for (const auto& ref : step.reads()) {
      if (!snapshot_.has(ref)) read(ref);
    }
  }

  void read(const ObjectRef& ref) {
    switch (ref.kind) {
      case ObjectRef::Kind::secret: snapshot_.put(ref, kube::SecretApi(client_).get(ns(), ref.name)); return;
      case ObjectRef::Kind::workload:
        snapshot_.put(ref, kube::WorkloadApi(client_).get(ns(), ref.workload_ref()));
        return;
      case ObjectRef::Kind::pods: snapshot_.put(ref, kube::PodApi(client_).list(ns(), ref.name)); return;
    }
  }

  void converge(const Step& step) {
    const std::string name = step.name();
    int conflicts = 0;
    bool acted = false;
    std::optional<WaitProgress> waiting;
    for (int write_rounds = 0;;) {
      observe(step);
      const Decision decision = step.decide(snapshot_, {util::Clock::now(), holder_.who(), settings_.user});
      snapshot_.remember(decision.remember);
      if (!decision.note.empty() && notes_.insert(decision.note).second) {
        reporter_.log(log::Level::info, name + ": " + decision.note);
      }
      if (!decision.changes.empty()) {
        if (++write_rounds > max_write_rounds) {
          throw Error(name + " in namespace " + ns() + " did not settle after " + std::to_string(max_write_rounds) +
                      " writes; is another tool changing the same objects?");
        }
        if (waiting) {
          reporter_.waited(name, waiting->wait);
          waiting.reset();
        }
        check_rights();
        acted = true;
        if (dry_run()) {
          for (const auto& change : decision.changes) {
            reporter_.planned(name, change);
            simulate(change, snapshot_);
          }
          continue;
        }
        if (!lock_) {
          take_lock();
          continue;  // decide again on what is read under the lock
        }
        for (const auto& change : decision.changes) {
          stop_point("before " + change.verb() + " " + change.target(ns()));
          const Applied applied = apply(change);
          if (applied == Applied::conflict) {
            if (++conflicts > max_conflicts) {
              throw Error(change.target(ns()) + " kept changing while " + name + " wrote it (" +
                          std::to_string(conflicts) + " conflicts); rerun when the other writer is done");
            }
            break;
          }
          wrote_ = true;
          if (applied == Applied::done) reporter_.applied(name, change);
          if (applied == Applied::done && !change.milestone.empty()) {
            const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                     settings_.started);
            log::Fields fields = {{"after_ms", static_cast<long>(after.count())}, {"object", change.target(ns())}};
            fields.insert(fields.end(), change.milestone_fields.begin(), change.milestone_fields.end());
            reporter_.log(log::Level::info, change.milestone, fields);
          }
        }
        continue;
      }
      if (decision.wait) {
        if (waiting && waiting->wait.key != decision.wait->key) {
          reporter_.waited(name, waiting->wait);
          waiting.reset();
        }
        if (dry_run()) {
          reporter_.planned_wait(name, *decision.wait);
          snapshot_.assume(decision.wait->key);
          continue;
        }
        wait_once(*decision.wait, waiting);
        continue;
      }
      if (waiting) reporter_.waited(name, waiting->wait);
      if (!acted && !waiting) reporter_.unchanged(name, decision.state);
      return;
    }
  }

  void wait_once(const Wait& wait, std::optional<WaitProgress>& waiting) {
    const auto now = std::chrono::steady_clock::now();
    const std::string object = describe(wait.object, ns());
    if (!waiting) {
      waiting = WaitProgress{wait, now, now};
      reporter_.log(log::Level::info, "waiting for " + object,
                    {{"status", wait.status}, {"timeout", util::format_duration(wait.timeout)}});
    }
    waiting->wait = wait;
    if (!lock_) waited_before_lock_ = true;
    const auto elapsed = now - waiting->started;
    if (elapsed >= wait.timeout) throw Error(wait.timeout_message);
    if (settings_.deadline.passed()) {
      throw Error("the run's --timeout passed while waiting for " + object + " (" + wait.status + ")");
    }
    if (now - waiting->last_report >= settings_.progress_interval) {
      waiting->last_report = now;
      reporter_.log(log::Level::info, "still waiting for " + object,
                    {{"status", wait.status},
                     {"elapsed", seconds_text(elapsed)},
                     {"left", seconds_text(wait.timeout - elapsed)}});
    }
    if (lock_) lock_->ensure_held();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wait.timeout - elapsed);
    if (!stop::sleep_for(std::min({settings_.poll_interval, left, settings_.deadline.remaining()}))) {
      stop::check("while waiting for " + object);
    }
    snapshot_.forget_what_changes_by_itself();
  }

  void stop_point(const std::string& where) {
    stop::check(where);
    if (settings_.deadline.passed()) throw Error("the run's --timeout passed " + where);
    if (lock_) lock_->ensure_held();
  }

  /// Before the first write (or, in a dry run, the first planned one): may we do
  /// everything the plan needs? One access review, never a half-done plan.
  void check_rights() {
    if (rights_checked_) return;
    rights_checked_ = true;
    std::set<kube::Access> needed;
    for (const auto& access : frame_rights(settings_.lock)) needed.insert(access);
    for (const auto& step : plan_.steps) {
      for (const auto& access : step->rights(snapshot_)) needed.insert(access);
    }
    std::vector<kube::Access> missing;
    try {
      missing = kube::missing_rights(client_, ns(), {needed.begin(), needed.end()});
    } catch (const kube::ApiError& e) {
      // A cluster that does not let us ask: the writes will tell.
      if (e.reason() != kube::Reason::forbidden && e.reason() != kube::Reason::not_found) throw;
      reporter_.log(log::Level::debug, "could not review access rights", {{"error", e.what()}});
      return;
    }
    if (missing.empty()) return;
    const kube::Access create_secrets{"create", "", "secrets", ""};
    if (std::find(missing.begin(), missing.end(), create_secrets) != missing.end()) {
      std::erase(missing, create_secrets);
      std::string also;
      for (const auto& access : missing) also += (also.empty() ? "" : ", ") + kube::describe(access);
      throw Error(absent_secrets_message(ns(), secrets_to_create()) +
                      (also.empty() ? "" : "; not allowed either: " + also + " (see manifests/role.yaml)"),
                  ExitCode::not_authorized);
    }
    std::string list;
    for (const auto& access : missing) list += (list.empty() ? "" : ", ") + kube::describe(access);
    throw Error("not allowed in namespace " + ns() + " to: " + list + ". Nothing was written. Grant these rights (" +
                    "see manifests/role.yaml) and rerun; check with `kubectl auth can-i " + missing.front().verb + " " +
                    missing.front().resource + " -n " + ns() + "`",
                ExitCode::not_authorized);
  }

  /// The absent Secrets of the steps that would create one, in plan order.
  std::vector<std::string> secrets_to_create() const {
    const kube::Access create_secrets{"create", "", "secrets", ""};
    std::vector<std::string> names;
    for (const auto& step : plan_.steps) {
      const auto rights = step->rights(snapshot_);
      if (std::find(rights.begin(), rights.end(), create_secrets) == rights.end()) continue;
      for (const auto& ref : step->reads()) {
        const auto* seen = ref.kind == ObjectRef::Kind::secret ? snapshot_.find_secret(ref.name) : nullptr;
        if (seen && !*seen && std::find(names.begin(), names.end(), ref.name) == names.end()) names.push_back(ref.name);
      }
    }
    return names;
  }

  void take_lock() {
    lock_ = std::make_unique<LeaseLock>(client_, ns(), holder_, settings_.lock, settings_.deadline);
    // What was read before the lock may have changed since: read it again,
    // except the Secrets the lock's last release says its holders left exactly
    // as we read them, when the lock was taken at once from that release and
    // nothing was waited for since they were read. (The window for a writer that
    // bypasses the lock is then the moments between the first read and the lock,
    // as it was between the read under the lock and the write; each Secret write
    // is preconditioned on the version it was decided on.)
    const auto handed_over = waited_before_lock_ ? std::nullopt : lock_->handed_over();
    snapshot_.forget_all_except(handed_over ? unchanged_under_lock(snapshot_, *handed_over) : std::set<ObjectRef>{});
  }

  Applied apply(const Change& change) {
    std::optional<EventSubject> subject;
    try {
      if (const auto* write = std::get_if<WriteSecret>(&change.operation)) {
        kube::SecretApi secrets(client_);
        kube::Secret written = write->secret;
        written.metadata.namespace_ = ns();
        lock_->writing(written.metadata.name);
        if (written.metadata.resource_version.empty()) {
          try {
            written = secrets.create(written);
          } catch (const kube::ApiError& e) {
            // The rights review was skipped or wrong: the same one line as after it.
            if (e.reason() != kube::Reason::forbidden) throw;
            throw Error(absent_secrets_message(ns(), {written.metadata.name}), ExitCode::not_authorized);
          }
        } else {
          written = secrets.replace(written);
        }
        snapshot_.put(ObjectRef::secret(written.metadata.name), std::optional<kube::Secret>(written));
        lock_->record_write(written.metadata.name, written.metadata.resource_version);
        subject = EventSubject{"Secret", "v1", written.metadata};
      } else if (const auto* patch = std::get_if<PatchPodTemplate>(&change.operation)) {
        const kube::Json patched =
            kube::WorkloadApi(client_).patch_template_annotations(ns(), patch->target, patch->annotations);
        snapshot_.put(ObjectRef::workload(patch->target), std::optional<kube::Json>(patched));
        subject = EventSubject{workload_kind_name(patch->target.kind), "apps/v1", kube::meta_from_json(patched)};
      } else {
        const auto& pod = std::get<DeletePod>(change.operation).pod;
        try {
          kube::PodApi(client_).remove(ns(), pod.metadata.name, {pod.metadata.uid, ""});
        } catch (const kube::ApiError& e) {
          // Already gone, or replaced by a pod of the same name: nothing left to do.
          if (e.reason() != kube::Reason::not_found && e.reason() != kube::Reason::conflict) throw;
          snapshot_.remove_pod(pod.metadata.uid);
          return Applied::already_done;
        }
        snapshot_.remove_pod(pod.metadata.uid);
        subject = EventSubject{"Pod", "v1", pod.metadata};
      }
    } catch (const kube::ApiError& e) {
      const bool raced = e.reason() == kube::Reason::conflict || e.reason() == kube::Reason::already_exists;
      if (!raced || !std::holds_alternative<WriteSecret>(change.operation)) throw;
      reporter_.log(log::Level::info, "the Secret changed while writing; reading it again",
                    {{"object", change.target(ns())}});
      snapshot_.forget(change.object());
      return Applied::conflict;
    }
    if (change.event) {
      if (change.event->on_secret) {
        const auto* other = snapshot_.find_secret(*change.event->on_secret);
        if (other && *other) subject = EventSubject{"Secret", "v1", (*other)->metadata};
      }
      record_event(client_, *subject, change.event->reason, change.event->message, reporter_);
    }
    return Applied::done;
  }

  kube::Client& client_;
  const Plan& plan_;
  const RunSettings& settings_;
  Reporter& reporter_;
  Snapshot snapshot_;
  LockHolder holder_;
  std::unique_ptr<LeaseLock> lock_;
  std::set<std::string> notes_;  ///< notes already logged
  bool rights_checked_ = false;
  bool waited_before_lock_ = false;  ///< for a rollout or pods, before the first write
  bool wrote_ = false;
  std::size_t current_ = 0;
};

}  // namespace

std::vector<kube::Access> frame_rights(const LockOptions& lock) {
  return {{"get", "coordination.k8s.io", "leases", lock.name},
          {"create", "coordination.k8s.io", "leases", ""},
          {"update", "coordination.k8s.io", "leases", lock.name},
          {"create", "", "events", ""}};
}

Snapshot run_plan(kube::Client& client, const Plan& plan, const std::string& ns, const RunSettings& settings,
                  Reporter& reporter) {
  return NamespaceRun(client, plan, ns, settings, reporter).run();
}

}  // namespace rotator::frame
