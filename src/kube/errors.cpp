#include "kube/errors.h"

#include <nlohmann/json.hpp>

#include "util/json_fields.h"
#include "util/terminal_text.h"

namespace rotator::kube {
namespace {

ExitCode exit_code_for(Reason reason) {
  switch (reason) {
    case Reason::unauthorized:
    case Reason::forbidden: return ExitCode::not_authorized;
    default: return ExitCode::failure;
  }
}

}  // namespace

std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::not_found: return "NotFound";
    case Reason::already_exists: return "AlreadyExists";
    case Reason::conflict: return "Conflict";
    case Reason::forbidden: return "Forbidden";
    case Reason::unauthorized: return "Unauthorized";
    case Reason::invalid: return "Invalid";
    case Reason::bad_request: return "BadRequest";
    case Reason::too_many_requests: return "TooManyRequests";
    case Reason::server_error: return "ServerError";
    case Reason::timeout: return "Timeout";
    case Reason::gone: return "Gone";
    case Reason::method_not_allowed: return "MethodNotAllowed";
    case Reason::unsupported_media_type: return "UnsupportedMediaType";
    case Reason::bad_response: return "BadResponse";
    case Reason::tls: return "TLSError";
    case Reason::unreachable: return "Unreachable";
    case Reason::unknown: return "Unknown";
  }
  return "Unknown";
}

std::optional<Status> parse_status(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (util::string_member(json, "kind") != "Status") return std::nullopt;
  Status status;
  auto string_field = [&](const char* name) {
    const auto it = json.find(name);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  status.status = string_field("status");
  status.message = string_field("message");
  status.reason = string_field("reason");
  if (const auto it = json.find("code"); it != json.end() && it->is_number_integer()) {
    status.code = it->get<long>();
  }
  return status;
}

Reason classify(long http_status, std::string_view status_reason) {
  if (status_reason == "NotFound") return Reason::not_found;
  if (status_reason == "AlreadyExists") return Reason::already_exists;
  if (status_reason == "Conflict") return Reason::conflict;
  if (status_reason == "Forbidden") return Reason::forbidden;
  if (status_reason == "Unauthorized") return Reason::unauthorized;
  if (status_reason == "Invalid") return Reason::invalid;
  if (status_reason == "BadRequest") return Reason::bad_request;
  if (status_reason == "TooManyRequests") return Reason::too_many_requests;
  if (status_reason == "Timeout" || status_reason == "ServerTimeout") return Reason::timeout;
  if (status_reason == "Gone" || status_reason == "Expired") return Reason::gone;
  if (status_reason == "MethodNotAllowed") return Reason::method_not_allowed;
  if (status_reason == "UnsupportedMediaType") return Reason::unsupported_media_type;
  if (status_reason == "InternalError" || status_reason == "ServiceUnavailable") {
    return Reason::server_error;
  }
  switch (http_status) {
    case 400: return Reason::bad_request;
    case 401: return Reason::unauthorized;
    case 403: return Reason::forbidden;
    case 404: return Reason::not_found;
    case 405: return Reason::method_not_allowed;
    case 409: return Reason::conflict;
    case 410: return Reason::gone;
    case 415: return Reason::unsupported_media_type;
    case 422: return Reason::invalid;
    case 429: return Reason::too_many_requests;
    case 504: return Reason::timeout;
    default: break;
  }
  if (http_status >= 500) return Reason::server_error;
  return Reason::unknown;
}

ApiError::ApiError(Reason reason, long http_status, const std::string& message)
    : Error(message, exit_code_for(reason)), reason_(reason), http_status_(http_status) {}

ApiError error_from_response(long http_status, std::string_view body) {
  if (const auto status = parse_status(body)) {
    const Reason reason = classify(http_status, status->reason);
    // The server's message is outside text: shown escaped, and cut to a length
    // that keeps the error one readable line.
    std::string message = status->message.empty()
                              ? std::string(reason_name(reason))
                              : util::escape_for_terminal(util::truncate_for_display(status->message, 2000));
    return ApiError(reason, http_status,
                    message + " (" + std::string(reason_name(reason)) + ", HTTP " + std::to_string(http_status) + ")");
  }
  const Reason reason = classify(http_status, "");
  return ApiError(reason, http_status,
                  "the API server answered HTTP " + std::to_string(http_status) + " (" +
                      std::string(reason_name(reason)) + ") with a body that is not a Kubernetes Status");
}

}  // namespace rotator::kube
