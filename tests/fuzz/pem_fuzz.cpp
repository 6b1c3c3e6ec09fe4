// PEM as found in the rsa-keys Secret: a private key (PKCS#8, PKCS#1 or SEC1),
// and the same bytes read as a SubjectPublicKeyInfo public key. A key that
// loads must also describe and thumbprint itself, as key-gen does next, and
// write back in the form it was found in (key-gen keeps the form) as the same key.
#include "crypto/crypto_error.h"
#include "crypto/jwk.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator::crypto;
  const auto text = rotator::fuzz::as_text(data, size);
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    const auto loaded = load_private_key_pem_with_form(text);
    describe_key(*loaded.key);
    const std::string thumbprint = key_thumbprint(*loaded.key);
    public_key_to_pem(*loaded.key);
    if (private_key_pem_form(text) != loaded.form) __builtin_trap();
    const SecretString again = private_key_to_pem(*loaded.key, loaded.form);
    const auto reloaded = load_private_key_pem_with_form(again.view());
    if (reloaded.form != loaded.form || key_thumbprint(*reloaded.key) != thumbprint) __builtin_trap();
  });
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    const auto key = load_public_key_pem(text);
    key_thumbprint(*key);
  });
  return 0;
}
