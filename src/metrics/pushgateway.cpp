#include "metrics/pushgateway.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <thread>

#include "kube/http_transport.h"
#include "util/log.h"

namespace rotator::metrics {
namespace {

const char* method_name(PushMethod method) {
  switch (method) {
    case PushMethod::put: return "PUT";
    case PushMethod::post: return "POST";
    case PushMethod::remove: return "DELETE";
  }
  return "POST";
}

// The Pushgateway explains a refused push in a short plain-text body (e.g. an
// inconsistent family); keep one line of it for the warning.
std::string first_line(std::string_view body) {
  std::string line(body.substr(0, body.find('\n')));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

bool worth_retrying(const kube::TransportResult& result) {
  if (result.kind == kube::TransportResult::Kind::connection_failure) return true;
  return result.kind == kube::TransportResult::Kind::response && result.status >= 500;
}

PushResult push_and_warn(PushMethod method, const PushTarget& target, const std::function<std::string()>& make_body,
                         const char* what, const PushOptions& options) {
  PushResult result;
  try {
    result = send_to_pushgateway(method, target, make_body(), options);
  } catch (const std::exception& e) {  // the push must never change the run's result
    result = {false, e.what()};
  }
  const log::Fields fields = {
      {"pushgateway", redacted_url(target.base_url)}, {"job", target.job}, {"namespace", target.namespace_}};
  if (result.ok) {
    log::debug(std::string("pushed ") + what + " to the Pushgateway", fields);
  } else {
    auto with_error = fields;
    with_error.emplace_back("error", result.error);
    log::warn(std::string("could not push ") + what + " to the Pushgateway; the run's result is unaffected",
              with_error);
  }
  return result;
}

}  // namespace

PushResult send_to_pushgateway(PushMethod method, const PushTarget& target, const std::string& body,
                               const PushOptions& options) {
  const std::string url = target.base_url + grouping_path(target);
  kube::HttpTransport transport(kube::TlsSettings{},
                                kube::TransportTimeouts{options.connect_timeout, options.request_timeout});
  kube::HttpRequest request;
  request.method = method_name(method);
  request.url = url;
  if (method != PushMethod::remove) {
    request.body = body;
    request.content_type = std::string(text_format_content_type);
  }
  const std::string where = std::string(method_name(method)) + " " + redacted_url(url);
  kube::TransportResult answer;
  for (int attempt = 1; attempt <= std::max(1, options.attempts); ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(options.pause_between_attempts);
    answer = transport.send(request);
    if (!worth_retrying(answer)) break;
  }
  if (answer.kind != kube::TransportResult::Kind::response) {
    return {false, where + ": " + answer.error};
  }
  if (answer.status / 100 != 2) {
    const std::string reason = first_line(answer.body.view());
    return {false, where + ": HTTP " + std::to_string(answer.status) + (reason.empty() ? "" : " (" + reason + ")")};
  }
  return {true, ""};
}

PushResult push_run_outcome(const PushTarget& target, const RunOutcome& outcome, const PushOptions& options) {
  return push_and_warn(
      PushMethod::post, target, [&] { return render(run_outcome_families(outcome)); }, "the run's outcome", options);
}

PushResult push_status(const PushTarget& target, const StatusSnapshot& snapshot, const PushOptions& options) {
  return push_and_warn(
      PushMethod::put, target, [&] { return render(status_families({snapshot}, NamespaceLabel::omit)); }, "the status",
      options);
}

}  // namespace rotator::metrics
