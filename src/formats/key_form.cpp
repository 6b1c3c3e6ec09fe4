#include "formats/key_form.h"

#include <string>

#include "util/errors.h"

namespace rotator::formats {

crypto::PrivateKeyForm parse_key_form_flag(std::string_view text) {
  // SEC1 is read and kept for EC keys found in a Secret, but never asked for:
  // PKCS#8 holds EC keys as well, and no consumer is known to need SEC1.
  const auto form = crypto::parse_private_key_form(text);
  if (!form || *form == crypto::PrivateKeyForm::sec1) {
    throw UsageError("--key-form must be pkcs8 or pkcs1, not \"" + std::string(text) + "\"");
  }
  return *form;
}

void check_key_form(crypto::PrivateKeyForm form, crypto::Algorithm algorithm) {
  if (form == crypto::PrivateKeyForm::pkcs1 && algorithm != crypto::Algorithm::rs256) {
    throw UsageError("--key-form pkcs1 holds RSA keys only (RS256), not " + std::string(crypto::jose_name(algorithm)) +
                     " keys: use --key-form pkcs8");
  }
}

crypto::PrivateKeyForm form_for_new_keys(std::optional<crypto::PrivateKeyForm> asked, const SigningKey* current) {
  if (asked) {
    if (current != nullptr) check_key_form(*asked, current->description.algorithm);
    return *asked;
  }
  return current != nullptr ? current->form : crypto::PrivateKeyForm::pkcs8;
}

}  // namespace rotator::formats
