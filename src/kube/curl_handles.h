#pragma once

#include <memory>

#include <curl/curl.h>

namespace rotator::kube {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
/// One libcurl easy handle; it keeps its connection open between requests.
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
/// A libcurl header list.
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

/// Appends to a header list, keeping ownership in the RAII handle.
inline void append_header(CurlSlist& list, const char* header) {
  curl_slist* grown = curl_slist_append(list.get(), header);
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

/// curl_global_init exactly once per process, before any handle exists.
void ensure_curl_initialized();

}  // namespace rotator::kube
