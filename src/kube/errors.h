#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/errors.h"

namespace rotator::kube {

/// Why the API server (or the way to it) said no. Named after metav1.StatusReason,
/// plus the failures that never reach a server.
enum class Reason {
  not_found,
  already_exists,
  conflict,
  forbidden,
  unauthorized,
  invalid,
  bad_request,
  too_many_requests,
  server_error,
  timeout,
  gone,
  method_not_allowed,
  unsupported_media_type,
  bad_response,  ///< the answer was not what a Kubernetes API server sends
  tls,           ///< the server's certificate did not verify, or TLS setup failed
  unreachable,   ///< no connection, or it broke, even after retries
  unknown,
};

/// The name used in messages and logs, e.g. "NotFound".
std::string_view reason_name(Reason reason);

/// A metav1.Status as the server sent it.
struct Status {
  std::string status;   ///< "Failure" or "Success"
  std::string message;  ///< the server's human-readable explanation
  std::string reason;   ///< e.g. "AlreadyExists"; may be empty
  long code = 0;
};

/// Parses a Status body; nullopt when the body is not a Status object.
std::optional<Status> parse_status(std::string_view body);

/// Maps the HTTP code and the Status reason (which tells 409 AlreadyExists from
/// 409 Conflict) to a Reason.
Reason classify(long http_status, std::string_view status_reason);

/// An error from the Kubernetes API. The message is the server's own (escaped for
/// the terminal, at most 2000 bytes of it), which never carries Secret data;
/// bodies that are not a Status are described, never echoed.
class ApiError : public Error {
 public:
  ApiError(Reason reason, long http_status, const std::string& message);
  Reason reason() const { return reason_; }
  long http_status() const { return http_status_; }

 private:
  Reason reason_;
  long http_status_;
};

/// Builds the typed error for a non-2xx answer.
ApiError error_from_response(long http_status, std::string_view body);

}  // namespace rotator::kube
