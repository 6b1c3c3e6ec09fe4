#include "health/verdict.h"

#include <algorithm>

#include "crypto/keys.h"
#include "crypto/pem.h"
#include "formats/admin_token.h"
#include "formats/names.h"
#include "formats/registry.h"
#include "formats/token_file.h"
#include "kube/rollout.h"
#include "util/errors.h"

namespace rotator::health {
namespace {

/// Collects the reasons: broken ones first, then degraded ones, in the order the
/// checks run (worst first within each).
class Findings {
 public:
  void broken(std::string reason) { broken_.push_back(std::move(reason)); }
  void degraded(std::string reason) { degraded_.push_back(std::move(reason)); }
  void into(Report& report) {
    report.verdict = !broken_.empty() ? Verdict::broken : !degraded_.empty() ? Verdict::degraded : Verdict::healthy;
    report.reasons = std::move(broken_);
    report.reasons.insert(report.reasons.end(), degraded_.begin(), degraded_.end());
  }

 private:
  std::vector<std::string> broken_;
  std::vector<std::string> degraded_;
};

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

/// Records a part that could not be read in its report; false when it was read.
template <typename T>
bool unreadable(const Read<T>& read, std::string& state, std::string& message) {
  if (read.state != ReadState::forbidden && read.state != ReadState::error) return false;
  state = read.state == ReadState::forbidden ? "forbidden" : "error";
  message = read.message;
  return true;
}

std::string read_failure(const char* what, const std::string& object, ReadState state, const std::string& message) {
  return std::string(state == ReadState::forbidden ? "not allowed to read " : "could not read ") + object + " (" +
         message + ")" + (what[0] != '\0' ? std::string(": ") + what : std::string());
}

std::optional<formats::KeyRing> judge_keys(const Observed& seen, const Options& options, util::TimePoint now,
                                           KeysReport& report, Findings& findings) {
  const std::string& ns = seen.namespace_;
  const std::string object = "Secret " + ns + "/" + options.keys_secret;
  if (unreadable(seen.keys, report.state, report.message)) {
    findings.broken(read_failure("", object, seen.keys.state, seen.keys.message));
    return std::nullopt;
  }
  if (!seen.keys.value || formats::is_placeholder(*seen.keys.value)) {
    report.state = "absent";
    findings.broken("no signing keys (" + object + (seen.keys.value ? " is empty" : " does not exist") +
                    "): bootstrap with rotator run jobs/bootstrap.yaml -n " + ns);
    return std::nullopt;
  }
  formats::KeyRingReading reading;
  try {
    reading = formats::inspect_key_ring(*seen.keys.value, now, formats::WantStaged::yes);
  } catch (const InvalidDataError& e) {
    report.state = "invalid";
    report.message = e.what();
    findings.broken(std::string(e.what()) + ": rotator key-gen -n " + ns + " --force replaces the keys");
    return std::nullopt;
  }
  formats::KeyRing& ring = reading.ring;
  report.kid = ring.current.kid;
  report.algorithm = crypto::to_string(ring.current.description);
  report.key_form = std::string(crypto::form_name(ring.current.form));
  report.created_at = ring.created_at;
  if (ring.next) report.staged_kid = ring.next->kid;
  report.retired = ring.retired;
  if (!ring.rotation_history.empty()) report.last_rotation_id = ring.rotation_history.back();
  report.rotated_at = ring.rotated_at;
  report.rotation_in_progress = ring.in_progress;
  report.gaps = reading.gaps;
  if (!reading.repairable.empty()) {
    report.state = "invalid";
    report.message = joined(reading.repairable);
    findings.broken(object + " is invalid: " + report.message + ": rotator key-gen -n " + ns + " --repair");
    return std::nullopt;
  }
  report.state = "ok";
  return std::move(ring);
}

void judge_admin_token(const Observed& seen, const Options& options, const formats::KeyRing* ring, util::TimePoint now,
                       AdminTokenReport& report, Findings& findings) {
  const std::string& ns = seen.namespace_;
  const std::string object = "Secret " + ns + "/" + options.admin_token_secret;
  if (unreadable(seen.admin_token, report.state, report.message)) {
    findings.broken(read_failure("", object, seen.admin_token.state, seen.admin_token.message));
    return;
  }
  if (!seen.admin_token.value || formats::is_placeholder(*seen.admin_token.value)) {
    report.state = "absent";
    findings.broken("no admin token (" + object + (seen.admin_token.value ? " is empty" : " does not exist") +
                    "): rotator create-admin-token -n " + ns);
    return;
  }
  formats::TokenFile file;
  try {
    const auto data = seen.admin_token.value->data.find(formats::admin_secret::token);
    if (data == seen.admin_token.value->data.end()) throw InvalidDataError("it has no \"token\" key");
    file = formats::parse_token_file(data->second);
  } catch (const InvalidDataError& e) {
    report.state = "invalid";
    report.message = e.what();
    findings.broken(object + " is invalid (" + e.what() + "): rotator create-admin-token -n " + ns + " --force");
    return;
  }
  report.state = "ok";
  if (ring == nullptr) {
    report.message = "not verified: the signing keys cannot be read";
    return;
  }
  const auto verdict = formats::verify_admin_token(file.access_token, *ring, now);
  report.jti = verdict.id;
  report.kid = verdict.kid;
  report.issued_at = verdict.issued_at;
  report.expires_at = verdict.expires_at;
  report.verifies = verdict.valid;
  if (!verdict.valid) {
    report.message = verdict.reason;
    findings.broken("the admin token does not verify (" + verdict.reason + "): rotator create-admin-token -n " + ns);
  } else if (verdict.expires_at && *verdict.expires_at - now <= options.expiry_warning) {
    findings.degraded("the admin token expires at " + util::format_rfc3339(*verdict.expires_at) +
                      ": rotator create-admin-token -n " + ns + " --renew-before " +
                      util::format_duration(options.expiry_warning));
  }
}

void judge_restart(const Observed& seen, const Options& options, const formats::KeyRing* ring, RestartReport& report,
                   Findings& findings) {
  const std::string& ns = seen.namespace_;
  report.target = kube::to_string(options.target);
  if (!unreadable(seen.workload, report.state, report.message)) {
    report.state = seen.workload.value ? "ok" : "absent";
    if (seen.workload.value) report.rollout = kube::rollout_status(options.target.kind, *seen.workload.value).message;
  }
  if (!seen.pods.value) return;
  for (const auto& pod : *seen.pods.value) {
    if (pod.terminating) continue;
    ++report.pods;
    if (ring != nullptr && pod_runs_key(pod, *ring)) ++report.pods_on_current_key;
  }
  if (ring == nullptr || report.pods == 0) return;
  report.runs_current_key = report.pods_on_current_key == report.pods;
  if (*report.runs_current_key || ring->in_progress) return;  // an unfinished rotation says so itself
  findings.broken(std::to_string(report.pods - report.pods_on_current_key) + " of " + std::to_string(report.pods) +
                  " pods of " + options.selector + " started before signing key kid=" + ring->current.kid +
                  " and hold an older key: kubectl -n " + ns + " rollout restart " + report.target);
}

void judge_lock(const Observed& seen, const Options& options, LockReport& report, Findings& findings) {
  if (unreadable(seen.lock, report.state, report.message)) return;
  if (seen.lock.value) report.lock = *seen.lock.value;
  if (report.lock.held && report.lock.expired) {
    findings.degraded("the lock Lease " + seen.namespace_ + "/" + options.lock_name + " is held past its lease by " +
                      report.lock.holder + ": if that run is gone, rotator unlock -n " + seen.namespace_);
  }
}

void judge_tokens(const Read<kube::Secret>& read, formats::TokenKind kind, util::TimePoint now, TokenReport& report,
                  Findings& findings) {
  if (unreadable(read, report.state, report.message)) return;
  if (!read.value || formats::is_placeholder(*read.value)) return;
  try {
    const auto data = read.value->data.find(std::string(formats::registry_data_key));
    if (data == read.value->data.end()) throw InvalidDataError("it has no tokens.json");
    const auto registry = formats::parse_registry(data->second, kind);
    report.state = "ok";
    for (const auto& record : registry.records) {
      switch (formats::state_at(record, now)) {
        case formats::TokenState::active:
          ++report.active;
          if (record.expires_at && (!report.next_expiry || *record.expires_at < *report.next_expiry)) {
            report.next_expiry = record.expires_at;
          }
          break;
        case formats::TokenState::expired: ++report.expired; break;
        case formats::TokenState::revoked: ++report.revoked; break;
      }
    }
  } catch (const InvalidDataError& e) {
    report.state = "invalid";
    report.message = e.what();
    findings.degraded("the " + std::string(formats::kind_name(kind)) + " token registry cannot be read (" + e.what() +
                      ")");
  }
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::healthy: return "healthy";
    case Verdict::degraded: return "degraded";
    case Verdict::broken: return "broken";
  }
  return "broken";
}

bool pod_runs_key(const kube::Pod& pod, const formats::KeyRing& ring) {
  const auto restarted_for = pod.metadata.annotations.find(formats::restart_kid_annotation);
  if (restarted_for != pod.metadata.annotations.end()) return restarted_for->second == ring.current.kid;
  if (!ring.created_at || !pod.metadata.creation_timestamp) return false;
  if (*pod.metadata.creation_timestamp > *ring.created_at) return true;
  // Creation times have one-second resolution: a pod of the key's own second is
  // new only if delete-pods recorded it replaced the pods for this key.
  return *pod.metadata.creation_timestamp == *ring.created_at && ring.pods_restarted_for_kid == ring.current.kid;
}

Report judge(const Observed& seen, const Options& options, util::TimePoint now) {
  Report report;
  report.namespace_ = seen.namespace_;
  Findings findings;
  if (seen.namespace_missing) {
    findings.broken("namespace " + seen.namespace_ + " does not exist: check -n (or --context)");
    findings.into(report);
    return report;
  }
  const auto ring = judge_keys(seen, options, now, report.keys, findings);
  judge_admin_token(seen, options, ring ? &*ring : nullptr, now, report.admin_token, findings);
  judge_restart(seen, options, ring ? &*ring : nullptr, report.restart, findings);
  if (ring) {
    const std::string& ns = seen.namespace_;
    if (ring->in_progress) {
      findings.degraded(std::string(formats::rotation_kind_name(ring->in_progress->kind)) + " rotation " +
                        ring->in_progress->id + " is unfinished since " +
                        util::format_rfc3339(ring->in_progress->started_at) + ": rerun rotator revoke-and-rotate -n " +
                        ns + " to finish it");
    }
    if (!ring->next) findings.degraded("no staged next key: rotator key-gen -n " + ns);
    std::vector<std::string> other_gaps;
    for (const auto& gap : report.keys.gaps) {
      if (gap.find("staged") == std::string::npos) other_gaps.push_back(gap);
    }
    if (!other_gaps.empty()) findings.degraded(joined(other_gaps) + ": rotator key-gen -n " + ns);
    if (options.max_key_age && ring->created_at && now - *ring->created_at > *options.max_key_age) {
      findings.degraded("signing key kid=" + ring->current.kid + " is older than --max-key-age " +
                        util::format_duration(*options.max_key_age) + ": rotator revoke-and-rotate -n " + ns);
    }
  }
  judge_lock(seen, options, report.lock, findings);
  judge_tokens(seen.management_registry, formats::TokenKind::management, now, report.management_tokens, findings);
  judge_tokens(seen.database_registry, formats::TokenKind::database, now, report.database_tokens, findings);
  findings.into(report);
  return report;
}

}  // namespace rotator::health
