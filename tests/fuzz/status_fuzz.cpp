// JSON that comes from outside rotator: what the API server answers (a Status
// body, parse_status, its reason classified as an HTTP 409 would be; object
// bodies rotator reads: Secret, Pod, a Lease judged as the lock judges it, the
// rollout status of each workload kind) and what an exec credential plugin
// prints (both API versions). A body that is not the JSON rotator expects must
// be rejected with rotator's own error.
#include <nlohmann/json.hpp>

#include "frame/lease_lock.h"
#include "fuzz_support.h"
#include "kube/credentials.h"
#include "kube/errors.h"
#include "kube/objects.h"
#include "kube/rollout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rotator::kube;
  const auto text = rotator::fuzz::as_text(data, size);
  if (const auto status = parse_status(text)) classify(409, status->reason);
  for (const char* version : {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    rotator::fuzz::rejects_only_with_rotator_errors([&] { parse_exec_credential(text, version, "fuzz-plugin"); });
  }
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  rotator::fuzz::rejects_only_with_rotator_errors([&] { secret_from_json(json); });
  rotator::fuzz::rejects_only_with_rotator_errors([&] { pod_from_json(json); });
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    // Whether another run's Lease has expired, as the lock decides it.
    const auto lease = lease_from_json(json);
    rotator::frame::decide_lock(lease, "fuzz", rotator::util::TimePoint(std::chrono::seconds(1'800'000'000)));
  });
  for (auto kind : {WorkloadKind::deployment, WorkloadKind::stateful_set, WorkloadKind::daemon_set}) {
    rotator::fuzz::rejects_only_with_rotator_errors([&] { rollout_status(kind, json); });
  }
  return 0;
}
