#include <catch2/catch.hpp>

#include "formats/job_file.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::formats;

TEST_CASE("job files: steps and flags as written") {
  const auto job = parse_job_file(R"(
apiVersion: rotator.io/v1
kind: JobFile
metadata: {name: demo}
steps:
  - step: key-gen
    with: {rsa-bits: 3072, force: true, dry: false}
  - step: token create
    with: {read-database: [a, b]}
)",
                                  "demo.yaml");
  CHECK(job.name == "demo");
  REQUIRE(job.steps.size() == 2);
  CHECK(job.steps[0].step == "key-gen");
  CHECK(job.steps[0].arguments == std::vector<std::string>{"--rsa-bits=3072", "--force"});
  CHECK(job.steps[1].arguments == std::vector<std::string>{"--read-database=a", "--read-database=b"});
}

TEST_CASE("job files: malformed documents are usage errors naming the place") {
  const std::pair<const char*, const char*> cases[] = {
      {"steps: [", "not valid YAML"},
      {"[1, 2]", "must be a mapping"},
      {"apiVersion: v2\nkind: JobFile\nsteps: [{step: key-gen}]", "apiVersion must be rotator.io/v1"},
      {"apiVersion: rotator.io/v1\nkind: Job\nsteps: [{step: key-gen}]", "kind must be JobFile"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: []", "non-empty list"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen, wiht: {}}]", "unknown field \"wiht\""},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: [a]}]", "steps[0].step must be a string"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen, with: [1]}]", "mapping of flag names"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen, with: {--x: 1}}]", "bad flag name"},
      {"apiVersion: rotator.io/v1\nkind: JobFile\nsteps: [{step: key-gen}]\nextra: 1", "unknown field \"extra\""},
  };
  for (const auto& [yaml, fragment] : cases) {
    INFO(yaml);
    try {
      parse_job_file(yaml, "f.yaml");
      FAIL("accepted");
    } catch (const UsageError& e) {
      CHECK_THAT(e.what(), Catch::Contains(fragment) && Catch::Contains("f.yaml"));
    }
  }
}
