#include "kube/client.h"

#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/detail/output/output_adapters.hpp>
#include <nlohmann/detail/output/serializer.hpp>

#include "util/time.h"

namespace rotator::kube {
namespace {

const char* content_type_of(PatchType type) {
  switch (type) {
    case PatchType::merge: return "application/merge-patch+json";
    case PatchType::strategic_merge: return "application/strategic-merge-patch+json";
    case PatchType::json: return "application/json-patch+json";
  }
  return "application/merge-patch+json";
}

// Paths carry names but never data; queries may carry selectors. Both are safe to log.
std::string describe(const std::string& method, const std::string& path) {
  return method + " " + path;
}

/// body.dump(), written straight into a wiping buffer: a dump into a std::string
/// would leave each grown-out copy of a Secret's data in freed memory. (The
/// serializer is nlohmann's own, the one dump() uses.)
util::SecretBuffer serialize(const Json& body) {
  util::SecretBuffer text;
  nlohmann::detail::serializer<Json> serializer(nlohmann::detail::output_adapter<char, util::SecretBuffer>(text), ' ',
                                                Json::error_handler_t::strict);
  serializer.dump(body, /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
  return text;
}

std::string seconds_text(Millis duration) {
  return util::format_duration(std::chrono::duration_cast<std::chrono::seconds>(duration));
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
      transport_(config_.tls, options.timeouts, config_.proxy),
      jitter_source_(std::random_device{}()) {}

Json Client::get(const std::string& path) {
  return send("GET", path, {}, {});
}

Json Client::create(const std::string& path, const Json& body) {
  return send("POST", path, serialize(body), "application/json");
}

Json Client::ask(const std::string& path, const Json& body) {
  return send("POST", path, body.dump(), "application/json", "REVIEW");
}

Json Client::replace(const std::string& path, const Json& body) {
  return send("PUT", path, serialize(body), "application/json");
}

Json Client::patch(const std::string& path, const Json& body, PatchType type) {
  return send("PATCH", path, serialize(body), content_type_of(type));
}

Json Client::remove(const std::string& path, const Json& delete_options) {
  return send("DELETE", path, delete_options.is_null() ? util::SecretBuffer{} : serialize(delete_options),
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

Json Client::send(const std::string& method, const std::string& path, util::SecretBuffer body,
                  const std::string& content_type, const char* counted_as) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const auto timeout_expired = [&](const std::string& while_doing) {
    return ApiError(Reason::timeout, 0,
                    "gave up on " + describe(method, path) + ": the run's --timeout expired" + while_doing);
  };
  bool refreshed_credentials = false;
  for (int attempt = 1;; ++attempt) {
    // Each attempt may use only what is left of the run's --timeout, so a
    // request in flight (a server that trickles, hangs or sends forever) is cut
    // when the run's time is up, not 30 s later.
    Millis time_left{0};
    if (options_.deadline) {
      // Rounded up: libcurl counts whole milliseconds, and cutting a request a
      // fraction early would look like a slow server instead of the deadline.
      time_left = std::chrono::ceil<Millis>(*options_.deadline - Clock::now());
      if (time_left <= Millis(0)) throw timeout_expired("");
    }
    const Credential credential = config_.credentials ? config_.credentials->current() : Credential{};
    HttpRequest request{method, config_.server + path, body, content_type, &credential, time_left};
    const auto attempt_started = Clock::now();
    TransportResult result = transport_.send(request);
    {
      std::lock_guard lock(stats_mutex_);
      ++stats_.requests;
      ++stats_.by_method[counted_as != nullptr ? counted_as : method];
      if (attempt > 1) ++stats_.retries;
    }
    const auto took = std::chrono::duration_cast<Millis>(Clock::now() - attempt_started);

    if (result.kind == TransportResult::Kind::response) {
      spdlog::debug("{} -> {} ({} ms)", describe(method, path), result.status, took.count());
      if (result.status >= 200 && result.status < 300) {
        if (result.body.empty()) return Json::object();
        Json json = Json::parse(result.body.begin(), result.body.end(), nullptr, /*allow_exceptions=*/false);
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

    if (result.kind == TransportResult::Kind::too_large) {
      throw ApiError(Reason::bad_response, 0,
                     "the answer to " + describe(method, path) + " from " + config_.server + " is larger than " +
                         std::to_string(max_response_bytes / (1024 * 1024)) +
                         " MiB, the most rotator reads (a Secret is at most 1 MiB): is it a Kubernetes API "
                         "server?");
    }
    // libcurl's clock and ours differ by a hair: a timeout within a few
    // milliseconds of the deadline is the deadline.
    if (result.kind != TransportResult::Kind::response && result.timed_out && options_.deadline &&
        Clock::now() + Millis(20) >= *options_.deadline) {
      throw timeout_expired(" while waiting for the answer (" + result.error + ")");
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
      case TransportResult::Kind::connection_failure: outcome.kind = AttemptOutcome::Kind::connection_failure; break;
      default: outcome.kind = AttemptOutcome::Kind::fatal_transport; break;
    }
    const auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - started);
    auto delay = next_retry_delay(options_.retry, attempt, outcome, elapsed, next_jitter());
    if (delay && options_.deadline && *delay >= std::chrono::duration_cast<Millis>(*options_.deadline - Clock::now())) {
      delay.reset();
    }
    if (delay) {
      spdlog::debug("retrying {} in {} ms (attempt {} of {})", describe(method, path), delay->count(), attempt + 1,
                    options_.retry.max_attempts);
      std::this_thread::sleep_for(*delay);
      continue;
    }

    // A Retry-After the client will not wait out says so, with the wait asked for.
    std::string unheeded_retry_after;
    if (outcome.retry_after && is_retriable_status(outcome.http_status) && attempt < options_.retry.max_attempts) {
      unheeded_retry_after = "; the API server asked to retry after " + seconds_text(*outcome.retry_after) +
                             ", longer than this request may still wait (--timeout, or the " +
                             seconds_text(options_.retry.budget) + " retry budget)";
    }
    switch (result.kind) {
      case TransportResult::Kind::response:
        if (result.status >= 200 && result.status < 300) {
          throw ApiError(Reason::bad_response, result.status, result.error);
        }
        if (!unheeded_retry_after.empty()) {
          const ApiError error = error_from_response(result.status, result.body.view());
          throw ApiError(error.reason(), error.http_status(), error.what() + unheeded_retry_after);
        }
        throw error_from_response(result.status, result.body.view());
      case TransportResult::Kind::connection_failure:
        throw ApiError(Reason::unreachable, 0,
                       "cannot reach the API server at " + config_.server + " (" + result.error + ") after " +
                           std::to_string(attempt) + " attempt" + (attempt == 1 ? "" : "s"));
      case TransportResult::Kind::tls_failure:
        throw ApiError(Reason::tls, 0, "TLS verification of " + config_.server + " failed: " + result.error);
      case TransportResult::Kind::too_large:
      case TransportResult::Kind::fatal:
        throw ApiError(Reason::unreachable, 0, "request to " + config_.server + " failed: " + result.error);
    }
  }
}

}  // namespace rotator::kube
