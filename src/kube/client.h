#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/connection_config.h"
#include "kube/errors.h"
#include "kube/http_transport.h"
#include "kube/retry_policy.h"

namespace rotator::kube {

using Json = nlohmann::json;

/// Tuning for one client; the defaults suit a batch tool on a healthy cluster.
struct ClientOptions {
  RetryPolicy retry;
  TransportTimeouts timeouts;
  /// Nothing is sent after this moment (the run's --timeout), and a request in
  /// flight is cut when it comes: each attempt may take at most the time left.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

/// Counts of what the client sent, for --stats and the benchmarks.
struct RequestStats {
  long requests = 0;  ///< HTTP attempts, retries included
  long retries = 0;
  /// By HTTP method; questions (access reviews, which store nothing although
  /// they are POSTs) are counted under "REVIEW", so POST counts only writes.
  std::map<std::string, long> by_method;
};

/// The kind of PATCH body.
/// merge: RFC 7386; strategic_merge: Kubernetes'; json: RFC 6902 operations, whose
/// "test" makes a write conditional on a field's value.
enum class PatchType { merge, strategic_merge, json };

/// A Kubernetes API client: JSON in and out over HttpTransport, with retries for
/// transient failures, a fresh credential after a 401 where one can be had, and
/// typed errors. Knows nothing of rotator's steps.
///
/// Request bodies are serialized straight into wiping buffers and answers are
/// read into them; the Json values passed in and returned are ordinary
/// nlohmann strings, which the caller owns (and cannot wipe).
class Client {
 public:
  explicit Client(ConnectionConfig config, ClientOptions options = {});

  const ConnectionConfig& config() const { return config_; }

  Json get(const std::string& path);
  Json create(const std::string& path, const Json& body);
  /// A POST that stores nothing: a question to the server (SelfSubjectReview,
  /// access reviews), counted apart from writes.
  Json ask(const std::string& path, const Json& body);
  Json replace(const std::string& path, const Json& body);
  Json patch(const std::string& path, const Json& body, PatchType type);
  /// DELETE with an optional DeleteOptions body (preconditions, propagation).
  Json remove(const std::string& path, const Json& delete_options = nullptr);

  RequestStats stats() const;

 private:
  Json send(const std::string& method, const std::string& path, util::SecretBuffer body,
            const std::string& content_type, const char* counted_as = nullptr);
  double next_jitter();

  ConnectionConfig config_;
  ClientOptions options_;
  HttpTransport transport_;
  mutable std::mutex stats_mutex_;
  RequestStats stats_;
  std::mutex jitter_mutex_;
  std::mt19937_64 jitter_source_;
};

/// Percent-encodes a query parameter value (label selectors carry '=' and ',').
std::string url_encode(std::string_view value);

}  // namespace rotator::kube
