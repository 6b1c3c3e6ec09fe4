#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "kube/connection_config.h"
#include "kube/curl_handles.h"

namespace rotator::kube {

/// One HTTP exchange, as the transport sends it.
struct HttpRequest {
  std::string method;  ///< GET, POST, PUT, PATCH, DELETE
  std::string url;
  std::string body;          ///< sent when not empty
  std::string content_type;  ///< for the body
  const Credential* credential = nullptr;
};

/// What one attempt produced: an answer, or why there was none.
struct TransportResult {
  enum class Kind {
    response,            ///< the server answered (any status)
    connection_failure,  ///< refused, reset, timed out: may clear by itself
    tls_failure,         ///< certificate did not verify: will not clear by itself
    fatal,               ///< anything else libcurl refused to do
  } kind = Kind::response;
  long status = 0;
  std::string body;
  std::string retry_after;   ///< the Retry-After header, if any
  std::string error;         ///< libcurl's explanation when kind != response
};

struct TransportTimeouts {
  std::chrono::milliseconds connect{10000};
  std::chrono::milliseconds request{30000};
};

/// HTTP over libcurl with the connection's TLS settings. Keeps a small pool of easy
/// handles so sequential requests reuse one connection and concurrent callers each
/// get their own. Never retries: that is the client's policy.
class HttpTransport {
 public:
  HttpTransport(TlsSettings tls, TransportTimeouts timeouts);
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  TransportResult send(const HttpRequest& request);

 private:
  CurlEasy acquire();
  void release(CurlEasy handle);
  void configure_tls(CURL* handle) const;

  TlsSettings tls_;
  TransportTimeouts timeouts_;
  std::mutex pool_mutex_;
  std::vector<CurlEasy> pool_;
};

}  // namespace rotator::kube
