#include "crypto/crypto_error.h"

#include <openssl/err.h>

#include <vector>

namespace rotator::crypto {

namespace {

// A decoder failure can push a dozen near-identical entries; the first few
// distinct reasons are what an operator can act on.
constexpr std::size_t max_reasons_reported = 3;

}  // namespace

CryptoError openssl_failure(std::string_view context) {
  std::vector<std::string> reasons;
  // ERR_get_error (not ERR_get_error_all) on purpose: the optional "data"
  // strings may quote input, and inputs here are keys and tokens.
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason != nullptr ? reason : "unknown OpenSSL error";
    bool already_listed = false;
    for (const auto& listed : reasons) already_listed = already_listed || listed == text;
    if (!already_listed && reasons.size() < max_reasons_reported) reasons.push_back(std::move(text));
  }
  std::string message(context);
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    message += (i == 0 ? " (OpenSSL: " : "; ");
    message += reasons[i];
  }
  if (!reasons.empty()) message += ")";
  return CryptoError(message);
}

void clear_openssl_errors() noexcept {
  ERR_clear_error();
}

}  // namespace rotator::crypto
