#pragma once

#include <cstring>
#include <memory>

#include <curl/curl.h>

#include "util/secret_buffer.h"

namespace rotator::kube {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
/// One libcurl easy handle; it keeps its connection open between requests.
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const {
    // Header lists hold the Authorization header: wipe each copy before freeing.
    for (curl_slist* node = list; node != nullptr; node = node->next) {
      if (node->data != nullptr) util::wipe(node->data, std::strlen(node->data));
    }
    curl_slist_free_all(list);
  }
};
/// A libcurl header list, wiped when freed.
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

/// Appends to a header list, keeping ownership in the RAII handle.
inline void append_header(CurlSlist& list, const char* header) {
  curl_slist* grown = curl_slist_append(list.get(), header);
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

/// curl_global_init exactly once per process, before any handle exists. libcurl
/// is given allocation functions that wipe every block it frees (its request
/// buffers hold the Authorization header and request bodies, its receive
/// buffers the answers), so no token or Secret lingers in freed memory.
void ensure_curl_initialized();

}  // namespace rotator::kube
