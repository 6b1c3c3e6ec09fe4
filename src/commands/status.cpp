// rotator status: a verdict per namespace (healthy, degraded, broken) with the
// reasons, what was found, as a table, JSON, YAML or Prometheus text.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/structured_output.h"
#include "commands/commands.h"
#include "commands/session.h"
#include "frame/fleet.h"
#include "health/observe.h"
#include "health/verdict.h"
#include "kube/cluster.h"
#include "kube/errors.h"
#include "kube/resources.h"
#include "metrics/pushgateway.h"
#include "metrics/pushgateway_url.h"
#include "metrics/status_metrics.h"
#include "util/errors.h"
#include "util/json_fields.h"
#include "util/log.h"
#include "util/terminal_text.h"

namespace rotator::commands {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::initializer_list<cli::OutputFormat> status_formats = {
    cli::OutputFormat::table, cli::OutputFormat::json, cli::OutputFormat::yaml, cli::OutputFormat::prometheus};

/// How many of rotator's recent Events --events shows per namespace.
constexpr std::size_t events_shown = 10;

struct NamespaceStatus {
  health::Report report;
  std::optional<std::vector<kube::Json>> events;  ///< with --events
  std::string events_error;                       ///< why they could not be read
  std::string cluster;                            ///< the kubeconfig context with --contexts; empty otherwise
  /// With --contexts: why this cluster (or namespace) could not be read at all;
  /// the report is then empty and the verdict "unknown".
  std::optional<std::pair<std::string, ExitCode>> failure;
};

/// An Event's fields, read safely (Events are outside data).
struct EventLine {
  std::string when, reason, object, message;
};

EventLine event_line(const kube::Json& e) {
  const auto involved = e.is_object() && e.contains("involvedObject") ? e["involvedObject"] : kube::Json::object();
  return {util::string_member(e, "lastTimestamp"), util::string_member(e, "reason"),
          util::string_member(involved, "kind") + "/" + util::string_member(involved, "name"),
          util::string_member(e, "message")};
}

Json time_or_null(const std::optional<util::TimePoint>& t) {
  return t ? Json(util::format_rfc3339(*t)) : Json(nullptr);
}

long long seconds_since(util::TimePoint then, util::TimePoint now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
}

Json part_state(const std::string& state, const std::string& message) {
  Json part = {{"state", state}};
  if (!message.empty()) part["message"] = message;
  return part;
}

Json report_json(const NamespaceStatus& status, util::TimePoint now) {
  const health::Report& r = status.report;
  if (status.failure) {
    return {{"cluster", status.cluster},
            {"namespace", r.namespace_},
            {"verdict", "unknown"},
            {"reasons", Json::array({status.failure->first})},
            {"exitCode", static_cast<int>(status.failure->second)}};
  }
  Json keys = part_state(r.keys.state, r.keys.message);
  if (!r.keys.kid.empty()) {
    keys["kid"] = r.keys.kid;
    keys["algorithm"] = r.keys.algorithm;
    keys["keyForm"] = r.keys.key_form;
    keys["createdAt"] = time_or_null(r.keys.created_at);
    keys["ageSeconds"] = r.keys.created_at ? Json(seconds_since(*r.keys.created_at, now)) : Json(nullptr);
    keys["stagedKid"] = r.keys.staged_kid ? Json(*r.keys.staged_kid) : Json(nullptr);
    Json retired = Json::array();
    for (const auto& key : r.keys.retired) {
      retired.push_back({{"kid", key.kid}, {"trustedUntil", util::format_rfc3339(key.trusted_until)}});
    }
    keys["retiredKeys"] = retired;
    keys["lastRotationId"] = r.keys.last_rotation_id.empty() ? Json(nullptr) : Json(r.keys.last_rotation_id);
    keys["rotatedAt"] = time_or_null(r.keys.rotated_at);
    if (r.keys.rotation_in_progress) {
      const auto& p = *r.keys.rotation_in_progress;
      keys["rotationInProgress"] = {{"id", p.id},
                                    {"kind", formats::rotation_kind_name(p.kind)},
                                    {"startedAt", util::format_rfc3339(p.started_at)},
                                    {"by", p.by}};
    } else {
      keys["rotationInProgress"] = nullptr;
    }
    keys["gaps"] = r.keys.gaps;
  }
  Json admin = part_state(r.admin_token.state, r.admin_token.message);
  if (r.admin_token.state == "ok") {
    admin["jti"] = r.admin_token.jti;
    admin["kid"] = r.admin_token.kid;
    admin["issuedAt"] = time_or_null(r.admin_token.issued_at);
    admin["expiresAt"] = time_or_null(r.admin_token.expires_at);
    admin["verifies"] = r.admin_token.verifies;
  }
  Json restart = part_state(r.restart.state, r.restart.message);
  restart["target"] = r.restart.target;
  restart["rollout"] = r.restart.rollout.empty() ? Json(nullptr) : Json(r.restart.rollout);
  restart["pods"] = r.restart.pods;
  restart["podsOnCurrentKey"] = r.restart.pods_on_current_key;
  restart["runsCurrentKey"] = r.restart.runs_current_key ? Json(*r.restart.runs_current_key) : Json(nullptr);
  Json lock = part_state(r.lock.state, r.lock.message);
  lock["held"] = r.lock.lock.held;
  if (r.lock.lock.held) {
    lock["holder"] = r.lock.lock.holder;
    lock["since"] = time_or_null(r.lock.lock.since);
    lock["expiresAt"] = time_or_null(r.lock.lock.expires_at);
    lock["expired"] = r.lock.lock.expired;
  }
  const auto tokens = [](const health::TokenReport& t) {
    Json part = part_state(t.state, t.message);
    part["active"] = t.active;
    part["expired"] = t.expired;
    part["revoked"] = t.revoked;
    part["nextExpiry"] = time_or_null(t.next_expiry);
    return part;
  };
  Json out = Json::object();
  if (!status.cluster.empty()) out["cluster"] = status.cluster;
  out.update(Json{{"namespace", r.namespace_},
                  {"verdict", health::verdict_name(r.verdict)},
                  {"reasons", r.reasons},
                  {"keys", keys},
                  {"adminToken", admin},
                  {"restart", restart},
                  {"lock", lock},
                  {"tokens", {{"management", tokens(r.management_tokens)}, {"database", tokens(r.database_tokens)}}}});
  if (status.events) {
    Json events = Json::array();
    for (const auto& e : *status.events) {
      const auto event = event_line(e);
      events.push_back({{"lastTimestamp", event.when},
                        {"reason", event.reason},
                        {"object", event.object},
                        {"message", event.message}});
    }
    out["events"] = events;
  } else if (!status.events_error.empty()) {
    out["eventsError"] = status.events_error;
  }
  return out;
}

metrics::StatusSnapshot metrics_of(const health::Report& r, const std::string& cluster) {
  metrics::StatusSnapshot s;
  s.namespace_ = r.namespace_;
  s.cluster = cluster;
  if (r.keys.state == "ok") {
    s.key_kid = r.keys.kid;
    s.key_algorithm = r.keys.algorithm;
    s.key_created_at = r.keys.created_at;
    s.staged_key_present = r.keys.staged_kid.has_value();
    for (const auto& key : r.keys.retired) s.retired_keys.push_back({key.kid, key.trusted_until});
    s.last_rotation_at = r.keys.rotated_at;
    s.rotation_unfinished = r.keys.rotation_in_progress.has_value();
  }
  if (r.admin_token.state == "ok" || r.admin_token.state == "absent") {
    s.admin_token_present = r.admin_token.state == "ok";
    s.admin_token_expires_at = r.admin_token.expires_at;
  }
  if (r.lock.state == "ok") s.lock = metrics::LockState{r.lock.lock.held, r.lock.lock.holder};
  const auto counts = [](const health::TokenReport& t) -> std::optional<metrics::TokenCounts> {
    if (t.state != "ok" && t.state != "absent") return std::nullopt;
    return metrics::TokenCounts{t.active, t.expired, t.revoked, t.next_expiry};
  };
  s.management_tokens = counts(r.management_tokens);
  s.database_tokens = counts(r.database_tokens);
  s.verdict = r.verdict == health::Verdict::healthy    ? metrics::Verdict::healthy
              : r.verdict == health::Verdict::degraded ? metrics::Verdict::degraded
                                                       : metrics::Verdict::broken;
  s.verdict_reason = r.reasons.empty() ? "" : r.reasons.front();
  return s;
}

std::string or_dash(const std::string& text) {
  return text.empty() ? "-" : text;
}

std::string age_text(const std::optional<util::TimePoint>& t, util::TimePoint now) {
  if (!t) return "-";
  return util::format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::seconds>(now - *t)));
}

/// One namespace, in full: what `rotator status -n NS` prints.
void print_report(const NamespaceStatus& status, util::TimePoint now) {
  const health::Report& r = status.report;
  const auto line = [](const std::string& key, const std::string& value) {
    std::printf("  %-24s %s\n", (key + ":").c_str(), util::escape_for_terminal(or_dash(value)).c_str());
  };
  std::printf("Verdict:      %s%s\n", health::verdict_name(r.verdict),
              r.reasons.empty() ? "" : (": " + util::escape_for_terminal(r.reasons.front())).c_str());
  for (std::size_t i = 1; i < r.reasons.size(); ++i) {
    std::printf("              also: %s\n", util::escape_for_terminal(r.reasons[i]).c_str());
  }
  if (r.restart.target.empty()) {  // the namespace is missing: nothing else was read
    std::fflush(stdout);
    return;
  }
  std::printf("\nSigning keys\n");
  line("state", r.keys.state + (r.keys.message.empty() ? "" : ": " + r.keys.message));
  if (!r.keys.kid.empty()) {
    line("kid", r.keys.kid);
    line("algorithm", r.keys.algorithm);
    line("key form", r.keys.key_form);
    line("created", r.keys.created_at
                        ? util::format_rfc3339(*r.keys.created_at) + " (" + age_text(r.keys.created_at, now) + " ago)"
                        : "");
    line("staged kid", r.keys.staged_kid.value_or(""));
    for (const auto& key : r.keys.retired) {
      line("retired kid", key.kid + " (trusted until " + util::format_rfc3339(key.trusted_until) + ")");
    }
    line("last rotation",
         r.keys.last_rotation_id + (r.keys.rotated_at ? " at " + util::format_rfc3339(*r.keys.rotated_at) : ""));
    if (r.keys.rotation_in_progress) {
      const auto& p = *r.keys.rotation_in_progress;
      line("unfinished rotation", p.id + " (" + formats::rotation_kind_name(p.kind) + ", started " +
                                      util::format_rfc3339(p.started_at) + (p.by.empty() ? "" : " by " + p.by) + ")");
    }
  }
  std::printf("\nAdmin token\n");
  line("state", r.admin_token.state + (r.admin_token.message.empty() ? "" : ": " + r.admin_token.message));
  if (r.admin_token.state == "ok") {
    line("jti", r.admin_token.jti);
    line("kid", r.admin_token.kid);
    line("expires", r.admin_token.expires_at ? util::format_rfc3339(*r.admin_token.expires_at) : "never");
    line("verifies", r.admin_token.verifies ? "yes" : "no");
  }
  std::printf("\nRestart target (%s)\n", r.restart.target.c_str());
  line("state", r.restart.state + (r.restart.message.empty() ? "" : ": " + r.restart.message));
  if (!r.restart.rollout.empty()) line("rollout", r.restart.rollout);
  line("pods on current key", std::to_string(r.restart.pods_on_current_key) + " of " + std::to_string(r.restart.pods));
  std::printf("\nLock\n");
  if (r.lock.state != "ok") {
    line("state", r.lock.state + ": " + r.lock.message);
  } else if (!r.lock.lock.held) {
    line("held", "no");
  } else {
    line("held by", r.lock.lock.holder);
    line("since", r.lock.lock.since ? util::format_rfc3339(*r.lock.lock.since) : "");
    line(r.lock.lock.expired ? "expired at" : "expires",
         r.lock.lock.expires_at && *r.lock.lock.expires_at != util::TimePoint::max()
             ? util::format_rfc3339(*r.lock.lock.expires_at)
             : "");
  }
  std::printf("\nTokens\n");
  for (const auto& [name, t] : {std::pair<const char*, const health::TokenReport&>{"management", r.management_tokens},
                                {"database", r.database_tokens}}) {
    if (t.state == "ok") {
      line(name, std::to_string(t.active) + " active, " + std::to_string(t.expired) + " expired, " +
                     std::to_string(t.revoked) + " revoked" +
                     (t.next_expiry ? "; next expiry " + util::format_rfc3339(*t.next_expiry) : ""));
    } else {
      line(name, t.state + (t.message.empty() ? "" : ": " + t.message));
    }
  }
  if (status.events) {
    std::printf("\nEvents (rotator's, most recent last)\n");
    if (status.events->empty()) std::printf("  none\n");
    for (const auto& e : *status.events) {
      const auto event = event_line(e);
      std::printf("  %s  %-26s %s: %s\n", event.when.c_str(), util::escape_for_terminal(event.reason).c_str(),
                  util::escape_for_terminal(event.object).c_str(), util::escape_for_terminal(event.message).c_str());
    }
  } else if (!status.events_error.empty()) {
    std::printf("\nEvents: %s\n", util::escape_for_terminal(status.events_error).c_str());
  }
  std::fflush(stdout);
}

/// Several namespaces, one row each; with --contexts, a CLUSTER column first.
void print_rows(const std::vector<NamespaceStatus>& statuses, bool headers, util::TimePoint now) {
  const bool clusters =
      std::any_of(statuses.begin(), statuses.end(), [](const auto& status) { return !status.cluster.empty(); });
  std::vector<std::vector<std::string>> rows;
  if (headers)
    rows.push_back(
        {"NAMESPACE", "VERDICT", "KID", "KEY AGE", "STAGED", "TOKEN EXPIRES", "LAST ROTATION", "LOCK", "REASON"});
  for (const auto& status : statuses) {
    const health::Report& r = status.report;
    if (status.failure) {
      rows.push_back(
          {r.namespace_, "unknown", "-", "-", "-", "-", "-", "-", util::escape_for_terminal(status.failure->first)});
      continue;
    }
    std::string kid = r.keys.kid.size() > 12 ? r.keys.kid.substr(0, 12) : r.keys.kid;
    rows.push_back(
        {r.namespace_, health::verdict_name(r.verdict), or_dash(kid), age_text(r.keys.created_at, now),
         r.keys.kid.empty() ? "-" : (r.keys.staged_kid ? "yes" : "no"),
         r.admin_token.state != "ok" ? "-"
         : r.admin_token.expires_at  ? util::format_rfc3339(*r.admin_token.expires_at)
                                     : "never",
         or_dash(r.keys.last_rotation_id.substr(0, std::min<std::size_t>(r.keys.last_rotation_id.size(), 13))),
         r.lock.lock.held ? (r.lock.lock.expired ? "expired" : "held") : "-",
         r.reasons.empty() ? "" : util::escape_for_terminal(r.reasons.front())});
  }
  if (clusters) {
    if (headers) rows.front().insert(rows.front().begin(), "CLUSTER");
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      auto& row = rows[i + (headers ? 1 : 0)];
      row.insert(row.begin(), util::escape_for_terminal(statuses[i].cluster));
    }
  }
  std::cout << util::align_columns(rows) << std::flush;
}

health::Options options_from(const cli::po::variables_map& vm) {
  health::Options options;
  options.keys_secret = vm["keys-secret"].as<std::string>();
  options.admin_token_secret = vm["admin-token-secret"].as<std::string>();
  options.target = kube::parse_workload_ref(vm["target"].as<std::string>());
  options.selector = vm["selector"].as<std::string>();
  const auto duration = [&](const char* name) {
    const std::string text = vm[name].as<std::string>();
    const auto parsed = util::parse_duration(text);
    if (!parsed)
      throw UsageError(std::string("--") + name + " must be a duration such as 35d or 7d, not \"" + text + "\"");
    return *parsed;
  };
  if (vm.count("max-key-age")) options.max_key_age = duration("max-key-age");
  options.expiry_warning = duration("expiry-warning");
  return options;
}

NamespaceStatus status_of(kube::Client& client, const std::string& ns, const health::Options& options, bool events) {
  const auto now = util::Clock::now();
  NamespaceStatus status;
  status.report = health::judge(health::observe(client, ns, options, now), options, now);
  if (events && !status.report.reasons.empty() && status.report.reasons.front().starts_with("namespace "))
    return status;
  if (events) {
    try {
      auto all = kube::EventApi(client).list(ns, "source=rotator");
      std::sort(all.begin(), all.end(), [](const kube::Json& a, const kube::Json& b) {
        return util::string_member(a, "lastTimestamp") < util::string_member(b, "lastTimestamp");
      });
      if (all.size() > events_shown) all.erase(all.begin(), all.end() - events_shown);
      status.events = std::move(all);
    } catch (const kube::ApiError& e) {
      if (e.reason() == kube::Reason::unauthorized) throw;
      status.events_error = std::string("cannot list Events (") + e.what() + ")";
    }
  }
  return status;
}

ExitCode exit_code_of(health::Verdict verdict) {
  switch (verdict) {
    case health::Verdict::healthy: return ExitCode::success;
    case health::Verdict::degraded: return ExitCode::degraded;
    case health::Verdict::broken: return ExitCode::broken;
  }
  return ExitCode::broken;
}

/// The worst verdict's code; with --contexts, a cluster that could not be read
/// counts with its own code, in the fleet order (frame::more_severe).
ExitCode exit_code_of(const std::vector<NamespaceStatus>& statuses) {
  ExitCode worst = ExitCode::success;
  for (const auto& status : statuses) {
    worst = frame::more_severe(worst, status.failure ? status.failure->second : exit_code_of(status.report.verdict));
  }
  return worst;
}

/// The namespaces of one cluster, judged `concurrency` at a time. Throws when a
/// namespace could not be read at all (the credentials refused, the API server
/// unreachable): there is nothing to judge.
std::vector<NamespaceStatus> statuses_in(kube::Client& client, const std::vector<std::string>& namespaces,
                                         std::size_t concurrency, const health::Options& options, bool events,
                                         bool name_namespace) {
  std::vector<NamespaceStatus> statuses(namespaces.size());
  const auto results = frame::run_fleet(namespaces, concurrency, [&](const std::string& ns, std::string&) {
    const auto index =
        static_cast<std::size_t>(std::find(namespaces.begin(), namespaces.end(), ns) - namespaces.begin());
    statuses[index] = status_of(client, ns, options, events);
    return false;
  });
  for (const auto& result : results) {
    if (result.outcome == frame::NamespaceOutcome::failed) {
      throw Error((name_namespace ? result.namespace_ + ": " : std::string()) + result.message, result.exit_code);
    }
  }
  return statuses;
}

/// With --contexts: every context's namespaces, each row naming its cluster; a
/// cluster that cannot be read is one "unknown" row with why, and the others go on.
std::vector<NamespaceStatus> statuses_in_clusters(const cli::Invocation& invocation,
                                                  const std::optional<NamespaceSelection>& selection,
                                                  const std::vector<std::string>& contexts,
                                                  const health::Options& options, bool events) {
  const auto connections = connect_each(invocation.globals, contexts);
  std::vector<NamespaceStatus> all;
  const auto failed_row = [&](const std::string& context, const std::string& where,
                              const std::pair<std::string, ExitCode>& why) {
    NamespaceStatus failed;
    failed.cluster = context;
    failed.report.namespace_ = where;
    failed.failure = why;
    log::write(log::Level::error, why.first, {{"cluster", context}, {"exit", static_cast<int>(why.second)}}, where);
    all.push_back(std::move(failed));
  };
  for (const auto& connection : connections) {
    if (!connection.client) {
      failed_row(connection.context, selection ? "*" : invocation.globals.connection.namespace_.value_or("*"),
                 *connection.error);
      continue;
    }
    kube::Client& client = *connection.client;
    const std::string where = selection ? "*" : client.config().namespace_;
    try {
      const auto namespaces = selection ? resolve_namespaces(client, *selection) : std::vector<std::string>{where};
      auto statuses = statuses_in(client, namespaces, selection ? selection->concurrency : 1, options, events, true);
      for (auto& status : statuses) {
        status.cluster = connection.context;
        all.push_back(std::move(status));
      }
    } catch (const Error& e) {
      failed_row(connection.context, where, {e.what(), e.exit_code()});
    }
  }
  for (const auto& connection : connections) {
    if (connection.client) report_stats(invocation.globals, *connection.client, connection.context);
  }
  return all;
}

ExitCode run_status(const cli::Invocation& invocation) {
  const auto format = cli::output_format_from(invocation.options, status_formats);
  const auto options = options_from(invocation.options);
  const auto selection = namespace_selection_from(invocation.options, invocation.globals);
  const auto contexts = contexts_from(invocation.options, invocation.globals);
  const auto pushgateway = metrics::pushgateway_url(invocation.globals.pushgateway);
  const bool events = invocation.options["events"].as<bool>();
  const bool headers = !invocation.options["no-headers"].as<bool>();
  const auto now_of = [] { return util::Clock::now(); };

  const auto push = [&](const std::vector<NamespaceStatus>& statuses) {
    if (!pushgateway) return;
    for (const auto& status : statuses) {
      if (status.failure) continue;
      metrics::push_status({*pushgateway, "status", status.report.namespace_, status.cluster},
                           metrics_of(status.report, status.cluster));
    }
  };
  const auto print_metrics = [&](const std::vector<NamespaceStatus>& statuses) {
    std::vector<metrics::StatusSnapshot> snapshots;
    for (const auto& status : statuses) {
      if (!status.failure) snapshots.push_back(metrics_of(status.report, status.cluster));
    }
    std::cout << metrics::render_status(snapshots) << std::flush;
  };
  const auto print_document = [&](const Json& document) {
    std::cout << (format == cli::OutputFormat::json ? document.dump(2) + "\n" : cli::to_yaml(document)) << std::flush;
  };

  if (!contexts.empty()) {
    const auto statuses = statuses_in_clusters(invocation, selection, contexts, options, events);
    push(statuses);
    const auto now = now_of();
    if (format == cli::OutputFormat::prometheus) {
      print_metrics(statuses);
    } else if (format == cli::OutputFormat::json || format == cli::OutputFormat::yaml) {
      Json items = Json::array();
      for (const auto& status : statuses) items.push_back(report_json(status, now));
      print_document(
          {{"apiVersion", "rotator.io/v1"}, {"kind", "StatusList"}, {"contexts", contexts}, {"items", items}});
    } else {
      print_rows(statuses, headers, now);
    }
    return exit_code_of(statuses);
  }

  auto client = connect(invocation.globals);
  const auto& config = client->config();
  const std::vector<std::string> namespaces =
      selection ? resolve_namespaces(*client, *selection) : std::vector<std::string>{config.namespace_};
  const auto statuses =
      statuses_in(*client, namespaces, selection ? selection->concurrency : 1, options, events, selection.has_value());
  push(statuses);

  const auto now = now_of();
  if (format == cli::OutputFormat::prometheus) {
    print_metrics(statuses);
  } else if (format == cli::OutputFormat::json || format == cli::OutputFormat::yaml) {
    const Json cluster = {{"server", config.server},
                          {"version", kube::server_version(*client).git_version},
                          {"context", config.context},
                          {"source", config.source},
                          {"credentials", config.credentials ? config.credentials->describe() : "none"}};
    Json document = {{"apiVersion", "rotator.io/v1"}};
    if (selection) {
      Json items = Json::array();
      for (const auto& status : statuses) items.push_back(report_json(status, now));
      document["kind"] = "StatusList";
      document["cluster"] = cluster;
      document["items"] = items;
    } else {
      document["kind"] = "Status";
      document["cluster"] = cluster;
      const Json single = report_json(statuses.front(), now);
      for (auto it = single.begin(); it != single.end(); ++it) document[it.key()] = *it;
    }
    print_document(document);
  } else if (selection) {
    print_rows(statuses, headers, now);
  } else {
    std::printf("Cluster:      %s (%s)\nContext:      %s from %s\nCredentials:  %s\nNamespace:    %s\n",
                config.server.c_str(), kube::server_version(*client).git_version.c_str(), config.context.c_str(),
                config.source.c_str(), config.credentials ? config.credentials->describe().c_str() : "none",
                config.namespace_.c_str());
    print_report(statuses.front(), now);
  }
  report_stats(invocation.globals, *client);
  return exit_code_of(statuses);
}

}  // namespace

cli::CommandSpec status_command() {
  return {
      .name = "status",
      .synopsis =
          "status [-o table|json|yaml|prometheus] [--namespaces NS,... | -A] [--contexts CTX,... | "
          "--all-contexts] [--max-key-age 35d] [--events]",
      .summary = "a health verdict per namespace: keys, admin token, restart, lock, tokens (reads only)",
      .details =
          "Judges each namespace healthy, degraded or broken, and says why (the first reason\n"
          "is the headline, with the command that fixes it). Broken: the namespace or the\n"
          "signing keys are missing or invalid, the admin token is missing or does not\n"
          "verify, token-management pods still hold an older key, or rotator may not read\n"
          "its Secrets. Degraded: a rotation is unfinished, no key is staged, the key is\n"
          "older than --max-key-age, the admin token expires within --expiry-warning, the\n"
          "lock is held past its lease, or a token registry cannot be read. Restarts are\n"
          "judged from the pods themselves (the kid they were restarted for, or their\n"
          "start), for rollout and delete-pods alike.\n\n"
          "Exit code: 0 healthy, 6 degraded, 7 broken (several namespaces: the worst),\n"
          "4 when the credentials are refused, 1 when the API server cannot be reached.\n"
          "--contexts/--all-contexts read several clusters of the kubeconfig: rows get a\n"
          "CLUSTER column, a cluster that cannot be read is an \"unknown\" row with why,\n"
          "and the exit code is the most severe across them.\n"
          "-o prometheus prints the Prometheus text format (docs/monitoring.md); with\n"
          "--pushgateway (or $ROTATOR_PUSHGATEWAY) each namespace's status is also pushed.",
      .examples =
          "  rotator status -n influxdb\n"
          "  rotator status -A --namespace-selector app=influxdb\n"
          "  rotator status -n influxdb -o json | jq .adminToken\n"
          "  rotator status --namespaces team-a,team-b -o prometheus\n"
          "  rotator status --all-contexts -n influxdb\n"
          "  kubectl rotator status --context prod -n influxdb --events",
      .add_options =
          [](po::options_description& options) {
            cli::add_output_format_option(options, status_formats);
            options.add_options()("no-headers", po::bool_switch(), "tables without their header row")(
                "events", po::bool_switch(), "also show rotator's recent Events (needs list on events)")(
                "max-key-age", po::value<std::string>()->value_name("DURATION"),
                "a signing key older than this is degraded (e.g. the rotation schedule plus a margin)")(
                "expiry-warning", po::value<std::string>()->default_value("7d")->value_name("DURATION"),
                "an admin token expiring within this is degraded")(
                "keys-secret", po::value<std::string>()->default_value("rsa-keys")->value_name("NAME"),
                "Secret holding the signing keys")(
                "admin-token-secret", po::value<std::string>()->default_value("admin-token")->value_name("NAME"),
                "Secret holding the admin token file")(
                "target",
                po::value<std::string>()->default_value("deployment/token-management")->value_name("KIND/NAME"),
                "the token-management workload")(
                "selector", po::value<std::string>()->default_value("app=token-management")->value_name("LABELS"),
                "the token-management pods");
            add_namespace_selection_options(options);
            add_cluster_selection_options(options);
          },
      .max_positionals = 0,
      .run = run_status,
  };
}

}  // namespace rotator::commands
