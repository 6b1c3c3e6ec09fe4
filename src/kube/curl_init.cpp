#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "kube/curl_handles.h"

namespace rotator::kube {
namespace {

std::once_flag curl_init_once;

// libcurl's allocation hooks. free() gets no size, so malloc_usable_size tells
// how much to wipe: the whole block, including bytes past what curl used.
void wiping_free(void* block) {
  if (block == nullptr) return;
  util::wipe(block, ::malloc_usable_size(block));
  std::free(block);
}

void* plain_malloc(std::size_t size) {
  return std::malloc(size);
}

void* plain_calloc(std::size_t count, std::size_t size) {
  return std::calloc(count, size);
}

// Never grows in place behind our back: a moved block would leave its old copy
// unwiped, so growth is malloc, copy, wipe and free.
void* wiping_realloc(void* block, std::size_t size) {
  if (block == nullptr) return std::malloc(size);
  const std::size_t old_size = ::malloc_usable_size(block);
  if (size <= old_size && size != 0) return block;
  if (size == 0) {
    wiping_free(block);
    return nullptr;
  }
  void* grown = std::malloc(size);
  if (grown == nullptr) return nullptr;
  std::memcpy(grown, block, old_size);
  wiping_free(block);
  return grown;
}

char* plain_strdup(const char* text) {
  const std::size_t size = std::strlen(text) + 1;
  auto* copy = static_cast<char*>(std::malloc(size));
  if (copy != nullptr) std::memcpy(copy, text, size);
  return copy;
}

}  // namespace

void ensure_curl_initialized() {
  std::call_once(curl_init_once, [] {
    curl_global_init_mem(CURL_GLOBAL_DEFAULT, plain_malloc, wiping_free, wiping_realloc, plain_strdup, plain_calloc);
  });
}

}  // namespace rotator::kube
