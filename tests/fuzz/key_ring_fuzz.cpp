// The rsa-keys and admin-token Secrets as rotator reads them before deciding
// anything: fields "=== private.pem", "=== jwks.json", "=== rotator.io/..."
// (a name with '/' is an annotation) make the rsa-keys Secret, read with
// read_key_ring and inspect_key_ring; "=== token" is the admin-token Secret's
// token file, judged by assess_admin_token against that ring and by `rotator
// verify`'s verify_admin_token. A ring that reads must also store and read back.
#include "formats/admin_token.h"
#include "formats/key_ring.h"
#include "formats/token_file.h"
#include "fuzz_support.h"
#include "steps/admin_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator;
  auto fields = fuzz::split_fields(fuzz::as_text(data, size));
  std::optional<kube::Secret> admin_token;
  if (const auto token = fields.find("token"); token != fields.end()) {
    admin_token.emplace();
    admin_token->metadata.name = "admin-token";
    admin_token->data["token"] = token->second;
    fields.erase(token);
  }
  kube::Secret keys;
  keys.metadata.name = "rsa-keys";
  for (const auto& [name, value] : fields) {
    (name.find('/') == std::string::npos ? keys.data : keys.metadata.annotations)[name] = value;
  }
  const auto now = util::TimePoint(std::chrono::seconds(1'800'000'000));
  fuzz::rejects_only_with_rotator_errors([&] { formats::inspect_key_ring(keys, now, formats::WantStaged::yes); });
  std::optional<formats::KeyRingReading> read;
  fuzz::rejects_only_with_rotator_errors([&] { read = formats::read_key_ring(keys, now, formats::WantStaged::yes); });
  if (!read) return 0;

  // What rotator wrote from a ring it accepted, it must accept again.
  kube::Secret stored = keys;
  formats::store_key_ring(read->ring, stored);
  formats::read_key_ring(stored, now, formats::WantStaged::no);
  formats::key_set_of(read->ring);

  for (auto force : {steps::Force::no, steps::Force::yes}) {
    steps::AdminTokenOptions options;
    options.force = force;
    options.renew_before = std::chrono::hours(24);
    fuzz::rejects_only_with_rotator_errors([&] { steps::assess_admin_token(read->ring, admin_token, options, now); });
  }
  if (admin_token) {
    const auto& text = admin_token->data["token"];
    formats::verify_admin_token(formats::extract_token(text), read->ring, now);
  }
  return 0;
}
