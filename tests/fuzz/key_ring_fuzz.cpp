// The rsa-keys and admin-token Secrets as rotator reads them before deciding
// anything: fields "=== private.pem", "=== jwks.json", "=== rotator.io/..."
// (a name with '/' is an annotation) make the rsa-keys Secret, read with
// read_key_ring; "=== token" is the admin-token Secret's token file, judged by
// decide_admin_token against that ring and by `rotator verify`'s
// verify_admin_token. A ring that reads must also store and read back.
#include "fuzz_support.h"
#include "steps/admin_token.h"
#include "steps/key_ring.h"
#include "steps/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator;
  auto fields = fuzz::split_fields(fuzz::as_text(data, size));
  std::optional<kube::Secret> admin_token;
  if (const auto token = fields.find("token"); token != fields.end()) {
    admin_token.emplace();
    admin_token->metadata.name = "admin-token";
    admin_token->data[steps::admin_token_key] = token->second;
    fields.erase(token);
  }
  kube::Secret keys;
  keys.metadata.name = "rsa-keys";
  for (const auto& [name, value] : fields) {
    (name.find('/') == std::string::npos ? keys.data : keys.metadata.annotations)[name] = value;
  }
  const auto now = util::TimePoint(std::chrono::seconds(1'800'000'000));
  std::optional<steps::ReadKeyRing> read;
  fuzz::rejects_only_with_rotator_errors([&] { read = steps::read_key_ring(keys, now, steps::WantStaged::yes); });
  if (!read) return 0;

  // What rotator wrote from a ring it accepted, it must accept again.
  kube::Secret stored = keys;
  steps::store_key_ring(read->ring, stored);
  steps::read_key_ring(stored, now, steps::WantStaged::no);
  steps::key_set_of(read->ring);

  for (auto force : {steps::AdminTokenOptions::Force::no, steps::AdminTokenOptions::Force::yes}) {
    steps::AdminTokenOptions options;
    options.force = force;
    options.renew_before = std::chrono::hours(24);
    fuzz::rejects_only_with_rotator_errors([&] { steps::decide_admin_token(read->ring, admin_token, options, now); });
  }
  if (admin_token) {
    const auto& text = admin_token->data[steps::admin_token_key];
    steps::verify_admin_token(steps::extract_token(text), read->ring, now);
  }
  return 0;
}
