#include "kube/http_transport.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <openssl/ssl.h>

#include "kube/server_url.h"
#include "util/errors.h"

namespace rotator::kube {
namespace {

constexpr std::size_t max_pooled_handles = 32;

/// Where libcurl puts the answer: a wiping buffer that refuses to grow past
/// max_response_bytes (returning less than it was given makes libcurl abort).
struct BodySink {
  util::SecretBuffer body;
  bool too_large = false;
};

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body.size() + bytes > max_response_bytes) {
    sink->too_large = true;
    return 0;
  }
  sink->body.append(data, bytes);
  return bytes;
}

struct HeaderSink {
  std::string retry_after;
};

size_t collect_header(char* data, size_t size, size_t count, void* user) {
  const std::string_view line(data, size * count);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool match = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
        match = false;
        break;
      }
    }
    if (match) {
      std::string value(line.substr(name.size()));
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.erase(0, 1);
      static_cast<HeaderSink*>(user)->retry_after = value;
    }
  }
  return size * count;
}

TransportResult::Kind classify_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:  // also what a reset in mid-handshake looks like
      return TransportResult::Kind::connection_failure;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR: return TransportResult::Kind::tls_failure;
    case CURLE_FILESIZE_EXCEEDED: return TransportResult::Kind::too_large;
    default: return TransportResult::Kind::fatal;
  }
}

curl_blob blob_of(const std::string& bytes) {
  return curl_blob{const_cast<char*>(bytes.data()), bytes.size(), CURL_BLOB_COPY};
}

// No copy: libcurl reads the key from our wiping buffer while the request runs,
// and the option is cleared before the buffer goes away.
curl_blob blob_without_copy(const util::SecretBuffer& bytes) {
  return curl_blob{const_cast<char*>(bytes.data()), bytes.size(), CURL_BLOB_NOCOPY};
}

// OpenSSL keeps the last decrypted record in its buffers until the next one
// overwrites it; with this option it wipes the plaintext once libcurl has it.
CURLcode cleanse_plaintext(CURL*, void* ssl_ctx, void*) {
  SSL_CTX_set_options(static_cast<SSL_CTX*>(ssl_ctx), SSL_OP_CLEANSE_PLAINTEXT);
  return CURLE_OK;
}

/// With tls-server-name: the URL libcurl verifies the certificate against names
/// that server, and CONNECT_TO sends the connection to the real host and port.
struct RoutedUrl {
  std::string url;
  CurlSlist connect_to;
};

RoutedUrl route(const std::string& url, const std::string& server_name) {
  RoutedUrl routed{url, nullptr};
  if (server_name.empty()) return routed;
  const auto parsed = parse_server_url(url);
  if (!parsed) return routed;
  const std::string::size_type host_start = url.find("://") + 3;
  const std::string::size_type path_start = url.find('/', host_start);
  const std::string rest = path_start == std::string::npos ? std::string() : url.substr(path_start);
  routed.url = parsed->scheme + "://" + host_and_port(server_name, parsed->port) + rest;
  const std::string mapping =
      host_and_port(server_name, parsed->port) + ":" + host_and_port(parsed->host, parsed->port);
  append_header(routed.connect_to, mapping.c_str());
  return routed;
}

}  // namespace

HttpTransport::HttpTransport(TlsSettings tls, TransportTimeouts timeouts, ProxySettings proxy)
    : tls_(std::move(tls)), timeouts_(timeouts), proxy_(std::move(proxy)) {
  ensure_curl_initialized();
}

CurlEasy HttpTransport::acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      CurlEasy handle = std::move(pool_.back());
      pool_.pop_back();
      return handle;
    }
  }
  CurlEasy handle(curl_easy_init());
  if (!handle) throw Error("libcurl could not create a handle");
  configure_connection(handle.get());
  return handle;
}

void HttpTransport::release(CurlEasy handle) {
  std::lock_guard lock(pool_mutex_);
  if (pool_.size() < max_pooled_handles) pool_.push_back(std::move(handle));
}

void HttpTransport::configure_connection(CURL* handle) const {
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "https,http");
  // The proxy decision was made once, as kubectl makes it (kube/proxy.h); an
  // empty string also stops libcurl from reading the proxy variables itself.
  curl_easy_setopt(handle, CURLOPT_PROXY, proxy_.url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOPROXY, "");
  curl_easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, cleanse_plaintext);
  if (tls_.verify == TlsSettings::Verify::skip) {
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!tls_.ca_pem.empty()) {
      // The kubeconfig's CA alone, as kubectl: the system store must not vouch
      // for a server the kubeconfig pins.
      curl_easy_setopt(handle, CURLOPT_CAPATH, nullptr);
      curl_easy_setopt(handle, CURLOPT_CAINFO, nullptr);
      curl_blob ca = blob_of(tls_.ca_pem);
      curl_easy_setopt(handle, CURLOPT_CAINFO_BLOB, &ca);
    }
  }
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts_.connect.count()));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, timeouts_.low_speed_bytes_per_second);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(timeouts_.low_speed_window.count()));
  curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_response_bytes));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "rotator/" ROTATOR_VERSION);
}

TransportResult HttpTransport::send(const HttpRequest& request) {
  CurlEasy handle = acquire();
  CURL* curl = handle.get();

  BodySink body;
  HeaderSink headers_seen;
  char error_buffer[CURL_ERROR_SIZE] = {};

  const RoutedUrl routed = route(request.url, tls_.server_name);
  curl_easy_setopt(curl, CURLOPT_URL, routed.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, routed.connect_to.get());
  const auto timeout = request.timeout.count() > 0 ? std::min(request.timeout, timeouts_.request) : timeouts_.request;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<std::chrono::milliseconds::rep>(1, timeout.count())));
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);  // resets whatever the last request set
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
  if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty()) {
    // POSTFIELDS, not COPYPOSTFIELDS: libcurl reads the body from our wiping
    // buffer instead of keeping a copy of its own.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (request.method == "GET") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "GET");
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers_seen);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

  CurlSlist headers;
  append_header(headers, "Accept: application/json");
  append_header(headers, "Expect:");
  if (!request.content_type.empty()) {
    append_header(headers, ("Content-Type: " + request.content_type).c_str());
  }
  if (request.credential && !request.credential->bearer_token.empty()) {
    util::SecretBuffer authorization("Authorization: Bearer ");
    authorization.append(request.credential->bearer_token.view());
    append_header(headers, authorization.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  const bool client_certificate = request.credential && request.credential->client_certificate;
  if (client_certificate) {
    curl_blob cert = blob_of(request.credential->client_certificate->certificate_pem);
    curl_blob key = blob_without_copy(request.credential->client_certificate->key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
  }

  const CURLcode code = curl_easy_perform(curl);
  // Nothing of this request may outlive it in libcurl's state: the header list
  // (Authorization), the body and the key are ours and about to be wiped.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, nullptr);
  if (client_certificate) curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, nullptr);

  TransportResult result;
  if (code != CURLE_OK) {
    result.kind = body.too_large ? TransportResult::Kind::too_large : classify_curl_error(code);
    result.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    return result;  // a handle whose exchange failed is not worth keeping
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  result.body = std::move(body.body);
  result.retry_after = std::move(headers_seen.retry_after);
  release(std::move(handle));
  return result;
}

}  // namespace rotator::kube
