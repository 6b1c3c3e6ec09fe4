#pragma once

// The metric families of `rotator status -o prometheus`: what one namespace's
// keys, tokens, lock and rotation look like, as gauges with a `namespace` label.
// Times are seconds since the epoch (`..._timestamp_seconds`), as cert-manager's
// certmanager_certificate_expiration_timestamp_seconds, so alerts compare them
// with time().

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "metrics/text_format.h"
#include "util/time.h"

namespace rotator::metrics {

/// The health verdict of one namespace.
enum class Verdict { healthy, degraded, broken };

/// A key no longer signing, still in jwks.json until `trusted_until`.
struct RetiredKey {
  std::string kid;  ///< the public thumbprint, never key material
  util::TimePoint trusted_until;
};

/// Management or database tokens of one namespace, from its registry.
struct TokenCounts {
  std::size_t active = 0;
  std::size_t expired = 0;
  std::size_t revoked = 0;
  /// The soonest expiry among active tokens; nullopt when none of them expires.
  std::optional<util::TimePoint> next_expiry;
};

/// Who holds the `rotator-lock` Lease.
struct LockState {
  bool held = false;
  std::string holder;  ///< the Lease's holderIdentity when held
};

/// What status found in one namespace. Every field that status could not read
/// (absent object, no rights, invalid data) stays nullopt, and its metric is
/// left out rather than reported as a made-up value; the verdict says why.
struct StatusSnapshot {
  std::string namespace_;
  /// The kubeconfig context of a multi-cluster status: a `cluster` label on
  /// every series (next to `namespace`); empty: no such label.
  std::string cluster;

  // Signing keys (Secret rsa-keys).
  std::optional<std::string> key_kid;        ///< current key's kid
  std::optional<std::string> key_algorithm;  ///< "RS256", ...
  std::optional<util::TimePoint> key_created_at;
  std::optional<bool> staged_key_present;
  std::vector<RetiredKey> retired_keys;
  /// When the last rotation finished (rotator.io/rotated-at); nullopt if never.
  std::optional<util::TimePoint> last_rotation_at;
  /// A rotation started and not finished (a rerun would resume it).
  std::optional<bool> rotation_unfinished;

  // Admin token (Secret admin-token).
  std::optional<bool> admin_token_present;
  /// nullopt: no expiry (or no token; see admin_token_present).
  std::optional<util::TimePoint> admin_token_expires_at;

  // The rotator-lock Lease.
  std::optional<LockState> lock;

  // Token registries; nullopt when the registry could not be read.
  std::optional<TokenCounts> management_tokens;
  std::optional<TokenCounts> database_tokens;

  Verdict verdict = Verdict::broken;
  std::string verdict_reason;  ///< one line, no key or token material ("" when healthy)
};

/// Whether samples carry the `namespace` label. A Pushgateway push leaves it out:
/// the grouping key adds it, and pushed metrics must not repeat grouping labels.
enum class NamespaceLabel { include, omit };

/// The families of `status -o prometheus` for any number of namespaces, each
/// family once with the samples of every namespace (what the text format needs).
std::vector<MetricFamily> status_families(const std::vector<StatusSnapshot>& snapshots,
                                          NamespaceLabel namespace_label = NamespaceLabel::include);

/// The complete `status -o prometheus` text.
std::string render_status(const std::vector<StatusSnapshot>& snapshots);

/// "healthy", "degraded", "broken".
const char* to_string(Verdict verdict);

/// Seconds since the epoch, with millisecond precision.
double to_unix_seconds(util::TimePoint t);

}  // namespace rotator::metrics
