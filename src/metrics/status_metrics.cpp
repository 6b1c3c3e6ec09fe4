#include "metrics/status_metrics.h"

namespace rotator::metrics {
namespace {

// Indexes into the family list, in the order they are rendered.
enum Family : std::size_t {
  key_info,
  key_created,
  staged_key,
  retired_key,
  last_rotation,
  rotation_unfinished,
  admin_token_present,
  admin_token_expiry,
  lock_held,
  tokens,
  token_next_expiry,
  verdict,
  verdict_reason,
  family_count,
};

std::vector<MetricFamily> empty_families() {
  std::vector<MetricFamily> f(family_count);
  f[key_info] = {"rotator_signing_key_info",
                 "The current signing key: its kid (a public thumbprint) and algorithm. Always 1.",
                 MetricType::gauge,
                 {}};
  f[key_created] = {"rotator_signing_key_created_timestamp_seconds",
                    "When the current signing key was created, in seconds since the epoch.",
                    MetricType::gauge,
                    {}};
  f[staged_key] = {"rotator_staged_key_present",
                   "1 when a staged next key is published in jwks.json, ready for the next rotation.",
                   MetricType::gauge,
                   {}};
  f[retired_key] = {
      "rotator_retired_key_trusted_until_timestamp_seconds",
      "Until when a retired key stays in jwks.json (tokens it signed still verify), in seconds since the epoch.",
      MetricType::gauge,
      {}};
  f[last_rotation] = {"rotator_last_rotation_timestamp_seconds",
                      "When the last key rotation finished, in seconds since the epoch.",
                      MetricType::gauge,
                      {}};
  f[rotation_unfinished] = {"rotator_rotation_unfinished",
                            "1 while a rotation has started and not finished (a rerun resumes it).",
                            MetricType::gauge,
                            {}};
  f[admin_token_present] = {
      "rotator_admin_token_present", "1 when the admin-token Secret holds a token file.", MetricType::gauge, {}};
  f[admin_token_expiry] = {"rotator_admin_token_expiration_timestamp_seconds",
                           "When the admin token expires, in seconds since the epoch; absent when it never expires.",
                           MetricType::gauge,
                           {}};
  f[lock_held] = {
      "rotator_lock_held", "1 while a run holds the rotator-lock Lease (holder: its identity).", MetricType::gauge, {}};
  f[tokens] = {
      "rotator_tokens", "Management and database tokens in the registry, by kind and state.", MetricType::gauge, {}};
  f[token_next_expiry] = {"rotator_token_next_expiration_timestamp_seconds",
                          "The soonest expiry of an active token of the kind, in seconds since the epoch; absent when "
                          "no active token expires.",
                          MetricType::gauge,
                          {}};
  f[verdict] = {"rotator_verdict",
                "1 for the namespace's health verdict (healthy, degraded or broken), 0 for the other two.",
                MetricType::gauge,
                {}};
  f[verdict_reason] = {
      "rotator_verdict_reason_info", "Why the namespace is degraded or broken. Always 1.", MetricType::gauge, {}};
  return f;
}

double as_gauge(bool value) {
  return value ? 1 : 0;
}

void add_tokens(std::vector<MetricFamily>& f, const Labels& base, const char* kind, const TokenCounts& counts) {
  const std::pair<const char*, std::size_t> states[] = {
      {"active", counts.active}, {"expired", counts.expired}, {"revoked", counts.revoked}};
  for (const auto& [state, count] : states) {
    Labels labels = base;
    labels.emplace_back("kind", kind);
    labels.emplace_back("state", state);
    f[tokens].samples.push_back({std::move(labels), static_cast<double>(count)});
  }
  if (counts.next_expiry) {
    Labels labels = base;
    labels.emplace_back("kind", kind);
    f[token_next_expiry].samples.push_back({std::move(labels), to_unix_seconds(*counts.next_expiry)});
  }
}

void add_snapshot(std::vector<MetricFamily>& f, const StatusSnapshot& s, NamespaceLabel namespace_label) {
  Labels base;
  if (namespace_label == NamespaceLabel::include) {
    base.emplace_back("namespace", s.namespace_);
    if (!s.cluster.empty()) base.emplace_back("cluster", s.cluster);
  }
  const auto with = [&base](std::initializer_list<std::pair<std::string, std::string>> extra) {
    Labels labels = base;
    labels.insert(labels.end(), extra.begin(), extra.end());
    return labels;
  };

  if (s.key_kid) {
    f[key_info].samples.push_back({with({{"kid", *s.key_kid}, {"algorithm", s.key_algorithm.value_or("")}}), 1});
  }
  if (s.key_created_at) f[key_created].samples.push_back({base, to_unix_seconds(*s.key_created_at)});
  if (s.staged_key_present) f[staged_key].samples.push_back({base, as_gauge(*s.staged_key_present)});
  for (const auto& retired : s.retired_keys) {
    f[retired_key].samples.push_back({with({{"kid", retired.kid}}), to_unix_seconds(retired.trusted_until)});
  }
  if (s.last_rotation_at) f[last_rotation].samples.push_back({base, to_unix_seconds(*s.last_rotation_at)});
  if (s.rotation_unfinished) f[rotation_unfinished].samples.push_back({base, as_gauge(*s.rotation_unfinished)});
  if (s.admin_token_present) f[admin_token_present].samples.push_back({base, as_gauge(*s.admin_token_present)});
  if (s.admin_token_expires_at) {
    f[admin_token_expiry].samples.push_back({base, to_unix_seconds(*s.admin_token_expires_at)});
  }
  if (s.lock) {
    // The holder label only while held: an empty label is the same as no label
    // to Prometheus, so "not held" is one steady series per namespace.
    f[lock_held].samples.push_back({s.lock->held ? with({{"holder", s.lock->holder}}) : base, as_gauge(s.lock->held)});
  }
  if (s.management_tokens) add_tokens(f, base, "management", *s.management_tokens);
  if (s.database_tokens) add_tokens(f, base, "database", *s.database_tokens);
  for (const Verdict v : {Verdict::healthy, Verdict::degraded, Verdict::broken}) {
    f[verdict].samples.push_back({with({{"verdict", to_string(v)}}), as_gauge(v == s.verdict)});
  }
  if (!s.verdict_reason.empty()) {
    f[verdict_reason].samples.push_back({with({{"verdict", to_string(s.verdict)}, {"reason", s.verdict_reason}}), 1});
  }
}

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::healthy: return "healthy";
    case Verdict::degraded: return "degraded";
    case Verdict::broken: return "broken";
  }
  return "broken";
}

double to_unix_seconds(util::TimePoint t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

std::vector<MetricFamily> status_families(const std::vector<StatusSnapshot>& snapshots,
                                          NamespaceLabel namespace_label) {
  auto families = empty_families();
  for (const auto& snapshot : snapshots) add_snapshot(families, snapshot, namespace_label);
  return families;
}

std::string render_status(const std::vector<StatusSnapshot>& snapshots) {
  return render(status_families(snapshots));
}

}  // namespace rotator::metrics
