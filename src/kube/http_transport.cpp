#include "kube/http_transport.h"

#include <cctype>
#include <cstring>

#include "util/errors.h"

namespace rotator::kube {
namespace {

constexpr std::size_t max_pooled_handles = 32;

std::once_flag curl_init_once;

size_t collect_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
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
    case CURLE_SSL_ISSUER_ERROR:
      return TransportResult::Kind::tls_failure;
    default:
      return TransportResult::Kind::fatal;
  }
}

curl_blob blob_of(const std::string& bytes) {
  return curl_blob{const_cast<char*>(bytes.data()), bytes.size(), CURL_BLOB_COPY};
}

}  // namespace

void ensure_curl_initialized() {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpTransport::HttpTransport(TlsSettings tls, TransportTimeouts timeouts)
    : tls_(std::move(tls)), timeouts_(timeouts) {
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
  configure_tls(handle.get());
  return handle;
}

void HttpTransport::release(CurlEasy handle) {
  std::lock_guard lock(pool_mutex_);
  if (pool_.size() < max_pooled_handles) pool_.push_back(std::move(handle));
}

void HttpTransport::configure_tls(CURL* handle) const {
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "https,http");
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
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.request.count()));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "rotator/" ROTATOR_VERSION);
}

TransportResult HttpTransport::send(const HttpRequest& request) {
  CurlEasy handle = acquire();
  CURL* curl = handle.get();

  std::string body;
  HeaderSink headers_seen;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);  // resets whatever the last request set
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
  if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
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
  std::string authorization;
  if (request.credential && !request.credential->bearer_token.empty()) {
    authorization = "Authorization: Bearer " + request.credential->bearer_token;
    append_header(headers, authorization.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  if (request.credential && request.credential->client_certificate) {
    curl_blob cert = blob_of(request.credential->client_certificate->certificate_pem);
    curl_blob key = blob_of(request.credential->client_certificate->key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
  }

  const CURLcode code = curl_easy_perform(curl);
  // The Authorization header must not outlive the request in libcurl's state.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, nullptr);
  std::fill(authorization.begin(), authorization.end(), '\0');

  TransportResult result;
  if (code != CURLE_OK) {
    result.kind = classify_curl_error(code);
    result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    return result;  // a handle whose exchange failed is not worth keeping
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  result.body = std::move(body);
  result.retry_after = std::move(headers_seen.retry_after);
  release(std::move(handle));
  return result;
}

}  // namespace rotator::kube
