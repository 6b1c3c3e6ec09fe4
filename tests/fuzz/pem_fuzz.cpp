// PEM as found in the rsa-keys Secret: a private key (PKCS#8 or traditional),
// and the same bytes read as a SubjectPublicKeyInfo public key. A key that
// loads must also describe and thumbprint itself, as key-gen does next.
#include "crypto/jwk.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator::crypto;
  const auto text = rotator::fuzz::as_text(data, size);
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    const auto key = load_private_key_pem(text);
    describe_key(*key);
    key_thumbprint(*key);
    public_key_to_pem(*key);
  });
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    const auto key = load_public_key_pem(text);
    key_thumbprint(*key);
  });
  return 0;
}
