// Job files (`rotator run FILE`): the YAML document and each step's `with:` map.
#include "formats/job_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rotator::fuzz::rejects_only_with_rotator_errors(
      [&] { rotator::formats::parse_job_file(rotator::fuzz::as_text(data, size), "fuzz-job.yaml"); });
  return 0;
}
