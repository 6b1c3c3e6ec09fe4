#include "kube/client.h"

#include <thread>

#include <spdlog/spdlog.h>

namespace rotator::kube {
namespace {

const char* content_type_of(PatchType type) {
  switch (type) {
    case PatchType::merge: return "application/merge-patch+json";
    case PatchType::strategic_merge: return "application/strategic-merge-patch+json";
    case PatchType::json_patch: return "application/json-patch+json";
  }
  return "application/merge-patch+json";
}

// Paths carry names but never data; queries may carry selectors. Both are safe to log.
std::string describe(const std::string& method, const std::string& path) {
  return method + " " + path;
}

}  // namespace

std::string url_encode(std::string_view value) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Client::Client(ConnectionConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(options),
      transport_(config_.tls, options.timeouts),
      jitter_source_(std::random_device{}()) {}

Json Client::get(const std::string& path) { return send("GET", path, {}, {}); }

Json Client::create(const std::string& path, const Json& body) {
  return send("POST", path, body.dump(), "application/json");
}

Json Client::ask(const std::string& path, const Json& body) {
  return send("POST", path, body.dump(), "application/json", "REVIEW");
}

Json Client::replace(const std::string& path, const Json& body) {
  return send("PUT", path, body.dump(), "application/json");
}

Json Client::patch(const std::string& path, const Json& body, PatchType type) {
  return send("PATCH", path, body.dump(), content_type_of(type));
}

Json Client::remove(const std::string& path, const Json& delete_options) {
  return send("DELETE", path, delete_options.is_null() ? std::string{} : delete_options.dump(),
              delete_options.is_null() ? std::string{} : "application/json");
}

RequestStats Client::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

double Client::next_jitter() {
  std::lock_guard lock(jitter_mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_source_);
}

Json Client::send(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& content_type, const char* counted_as) {
  const auto started = std::chrono::steady_clock::now();
  bool refreshed_credentials = false;
  for (int attempt = 1;; ++attempt) {
    if (options_.deadline && std::chrono::steady_clock::now() >= *options_.deadline) {
      throw ApiError(Reason::timeout, 0,
                     "gave up on " + describe(method, path) + ": the run's --timeout expired");
    }
    const Credential credential = config_.credentials ? config_.credentials->current() : Credential{};
    HttpRequest request{method, config_.server + path, body, content_type, &credential};
    const auto attempt_started = std::chrono::steady_clock::now();
    TransportResult result = transport_.send(request);
    {
      std::lock_guard lock(stats_mutex_);
      ++stats_.requests;
      ++stats_.by_method[counted_as != nullptr ? counted_as : method];
      if (attempt > 1) ++stats_.retries;
    }
    const auto took = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - attempt_started);

    if (result.kind == TransportResult::Kind::response) {
      spdlog::debug("{} -> {} ({} ms)", describe(method, path), result.status, took.count());
      if (result.status >= 200 && result.status < 300) {
        if (result.body.empty()) return Json::object();
        Json json = Json::parse(result.body, nullptr, /*allow_exceptions=*/false);
        if (json.is_discarded()) {
          // A truncated or garbled body is a transport fault in disguise: retry it
          // like one, then give up with a clear message.
          result.kind = TransportResult::Kind::connection_failure;
          result.error = "the answer to " + describe(method, path) + " was not valid JSON";
        } else {
          return json;
        }
      } else if (result.status == 401 && !refreshed_credentials && config_.credentials &&
                 config_.credentials->invalidate()) {
        refreshed_credentials = true;
        spdlog::debug("401 from the API server; fetching fresh credentials once");
        continue;
      }
    } else {
      spdlog::debug("{} failed: {}", describe(method, path), result.error);
    }

    AttemptOutcome outcome;
    switch (result.kind) {
      case TransportResult::Kind::response:
        outcome.kind = AttemptOutcome::Kind::response;
        outcome.http_status = result.status;
        if (!result.retry_after.empty()) {
          outcome.retry_after = parse_retry_after(result.retry_after, std::chrono::system_clock::now());
        }
        break;
      case TransportResult::Kind::connection_failure:
        outcome.kind = AttemptOutcome::Kind::connection_failure;
        break;
      default:
        outcome.kind = AttemptOutcome::Kind::fatal_transport;
        break;
    }
    const auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    auto delay = next_retry_delay(options_.retry, attempt, outcome, elapsed, next_jitter());
    if (delay && options_.deadline &&
        std::chrono::steady_clock::now() + *delay >= *options_.deadline) {
      delay.reset();
    }
    if (delay) {
      spdlog::debug("retrying {} in {} ms (attempt {} of {})", describe(method, path), delay->count(),
                    attempt + 1, options_.retry.max_attempts);
      std::this_thread::sleep_for(*delay);
      continue;
    }

    switch (result.kind) {
      case TransportResult::Kind::response:
        if (result.status >= 200 && result.status < 300) {
          throw ApiError(Reason::bad_response, result.status, result.error);
        }
        throw error_from_response(result.status, result.body);
      case TransportResult::Kind::connection_failure:
        throw ApiError(Reason::unreachable, 0,
                       "cannot reach the API server at " + config_.server + " (" + result.error +
                           ") after " + std::to_string(attempt) + " attempt" +
                           (attempt == 1 ? "" : "s"));
      case TransportResult::Kind::tls_failure:
        throw ApiError(Reason::tls, 0,
                       "TLS verification of " + config_.server + " failed: " + result.error);
      case TransportResult::Kind::fatal:
        throw ApiError(Reason::unreachable, 0,
                       "request to " + config_.server + " failed: " + result.error);
    }
  }
}

}  // namespace rotator::kube
