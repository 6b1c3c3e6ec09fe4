#include "metrics/pushgateway_url.h"

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <curl/curl.h>

#include "util/base64.h"
#include "util/errors.h"

namespace rotator::metrics {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

std::optional<std::string> url_part(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK || raw == nullptr) return std::nullopt;
  CurlString owned(raw);
  return std::string(owned.get());
}

bool is_plain_grouping_value(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '~' || c == '-';
    if (!plain) return false;
  }
  return true;
}

std::string grouping_pair(std::string_view label, std::string_view value) {
  if (is_plain_grouping_value(value)) return "/" + std::string(label) + "/" + std::string(value);
  // The Pushgateway's own escape for values a path segment cannot carry as is
  // ("/", spaces, non-ASCII) and for the empty value, which would be an empty segment.
  const std::string encoded = value.empty() ? "=" : util::base64url_encode(value);
  return "/" + std::string(label) + "@base64/" + encoded;
}

}  // namespace

std::string parse_pushgateway_url(std::string_view text, std::string_view source) {
  const auto refuse = [&](const std::string& why) {
    return UsageError(std::string(source) + " must be a Pushgateway URL such as http://pushgateway:9091 (" + why +
                      "), not \"" + redacted_url(text) + "\"");
  };
  CurlUrl url(curl_url());
  if (!url) throw Error("libcurl could not allocate a URL");
  const std::string copy(text);
  if (curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) throw refuse("not a URL");
  const auto scheme = url_part(url.get(), CURLUPART_SCHEME);
  if (!scheme || (*scheme != "http" && *scheme != "https")) throw refuse("http or https only");
  const auto host = url_part(url.get(), CURLUPART_HOST);
  if (!host || host->empty()) throw refuse("no host");
  if (url_part(url.get(), CURLUPART_QUERY) || url_part(url.get(), CURLUPART_FRAGMENT)) {
    throw refuse("no query or fragment");
  }
  const auto full = url_part(url.get(), CURLUPART_URL);
  if (!full) throw refuse("not a URL");
  std::string normalized = *full;
  while (!normalized.empty() && normalized.back() == '/') normalized.pop_back();
  return normalized;
}

std::optional<std::string> pushgateway_url(const std::optional<std::string>& flag) {
  if (flag) {
    if (flag->empty()) return std::nullopt;
    return parse_pushgateway_url(*flag, "--pushgateway");
  }
  const char* env = std::getenv(pushgateway_env_var);
  if (env == nullptr || *env == '\0') return std::nullopt;
  return parse_pushgateway_url(env, std::string("$") + pushgateway_env_var);
}

std::string grouping_path(const PushTarget& target) {
  if (target.job.empty()) throw std::invalid_argument("a Pushgateway job name must not be empty");
  std::string path = "/metrics" + grouping_pair("job", target.job) + grouping_pair("namespace", target.namespace_);
  if (!target.cluster.empty()) path += grouping_pair("cluster", target.cluster);
  return path;
}

std::string redacted_url(std::string_view text) {
  CurlUrl url(curl_url());
  const std::string copy(text);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) {
    // Not a URL curl understands: keep nothing that could be a password.
    const auto at = copy.rfind('@');
    return at == std::string::npos ? copy : "..." + copy.substr(at);
  }
  curl_url_set(url.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(url.get(), CURLUPART_PASSWORD, nullptr, 0);
  return url_part(url.get(), CURLUPART_URL).value_or("(unprintable URL)");
}

std::string job_name_for_command(std::string_view command) {
  std::string name;
  for (char c : command) name += (c == ' ') ? '-' : c;
  return name;
}

}  // namespace rotator::metrics
