#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "kube/connection_config.h"
#include "kube/curl_handles.h"
#include "util/secret_buffer.h"

namespace rotator::kube {

/// The largest answer rotator reads: 16 MiB. A Secret is at most 1 MiB (etcd's
/// limit) and a list of the few objects rotator reads is far below this; a
/// bigger body is a broken or hostile server, and is cut off before it can use
/// the memory of a Job with a 128Mi limit.
inline constexpr std::size_t max_response_bytes = 16 * 1024 * 1024;

/// One HTTP exchange, as the transport sends it.
struct HttpRequest {
  std::string method;  ///< GET, POST, PUT, PATCH, DELETE
  std::string url;
  util::SecretBuffer body;   ///< sent when not empty; may carry Secret data
  std::string content_type;  ///< for the body
  const Credential* credential = nullptr;
  /// The longest this exchange may take, connecting included (the run's
  /// remaining --timeout); zero: the transport's own request timeout.
  std::chrono::milliseconds timeout{0};
};

/// What one attempt produced: an answer, or why there was none.
struct TransportResult {
  enum class Kind {
    response,            ///< the server answered (any status)
    connection_failure,  ///< refused, reset, timed out, too slow: may clear by itself
    tls_failure,         ///< certificate did not verify: will not clear by itself
    too_large,           ///< the answer exceeded max_response_bytes: read no further
    fatal,               ///< anything else libcurl refused to do
  } kind = Kind::response;
  long status = 0;
  util::SecretBuffer body;  ///< may carry Secret data: wiped when dropped
  std::string retry_after;  ///< the Retry-After header, if any
  std::string error;        ///< libcurl's explanation when kind != response
  bool timed_out = false;   ///< the request's time limit (HttpRequest::timeout) cut it
};

/// Time limits of one request. A request whose answer trickles in slower than
/// low_speed_bytes_per_second for low_speed_window is abandoned (and retried
/// like a broken connection) even before its timeout: a healthy API server
/// sends the small answers rotator asks for in milliseconds.
struct TransportTimeouts {
  std::chrono::milliseconds connect{10000};
  std::chrono::milliseconds request{30000};
  long low_speed_bytes_per_second = 512;
  std::chrono::seconds low_speed_window{15};
};

/// HTTP over libcurl with the connection's TLS and proxy settings. Keeps a small
/// pool of easy handles so sequential requests reuse one connection and
/// concurrent callers each get their own. Never retries: that is the client's
/// policy. Bodies and the Authorization header live in wiping buffers, and
/// libcurl's own heap and OpenSSL's plaintext buffers are wiped when freed
/// (see ensure_curl_initialized).
class HttpTransport {
 public:
  HttpTransport(TlsSettings tls, TransportTimeouts timeouts, ProxySettings proxy = {});
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  TransportResult send(const HttpRequest& request);

 private:
  CurlEasy acquire();
  void release(CurlEasy handle);
  void configure_connection(CURL* handle) const;

  TlsSettings tls_;
  TransportTimeouts timeouts_;
  ProxySettings proxy_;
  std::mutex pool_mutex_;
  std::vector<CurlEasy> pool_;
};

}  // namespace rotator::kube
