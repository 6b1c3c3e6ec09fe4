// kubeconfig files: parse_kubeconfig, then kubectl's merge of the result with
// itself (KUBECONFIG naming one file twice). Relative paths resolve against a
// directory that does not exist: parsing never reads the files it names.
#include "fuzz_support.h"
#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rotator::fuzz::rejects_only_with_rotator_errors([&] {
    const auto config = rotator::kube::parse_kubeconfig(rotator::fuzz::as_text(data, size), "/nonexistent/rotator-fuzz",
                                                        "fuzz-kubeconfig");
    rotator::kube::merge_kubeconfigs({config, config});
  });
  return 0;
}
