// Issue 16, finding 10: the image's CA bundle is Debian's ca-certificates
// package as shipped (not whatever the build host added), and its origin is in
// the image's labels; the image holds few libraries. Judged with buildah,
// dpkg and sha256sum.

#include <unistd.h>

#include <iostream>

#include <catch2/catch.hpp>

#include "packaging_support.h"

using namespace rotator::testing;

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("hardening: the image's CA bundle is Debian's ca-certificates, and its labels say which") {
  if (run({"/bin/sh", "-c", "command -v buildah"}).exit_code != 0 || ::geteuid() != 0) {
    const char* why = ::geteuid() != 0 ? "buildah needs root here" : "buildah is not installed (scripts/setup --image)";
    if (std::getenv("CI") != nullptr) FAIL("CI must build the image, but " << why);
    WARN("SKIPPED the image label test: " << why);
    std::cout << skipped_marker << " the image label test: " << why << std::endl;
    return;
  }
  const std::filesystem::path build_dir = std::filesystem::path(ROTATOR_BINARY).parent_path();
  TempDir out;
  const auto built = run({std::string(ROTATOR_SOURCE_DIR) + "/scripts/build-image", "--build-dir", build_dir.string(),
                          "--out", out.path().string(), "--no-build"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_code == 0);
  std::cout << "hardening: " << first_line(built.out) << std::endl;

  const std::vector<std::string> buildah = {
      "buildah",          "--root", (out.path() / "storage").string(), "--runroot", (out.path() / "run").string(),
      "--storage-driver", "vfs"};
  auto label = [&](const std::string& name) {
    auto argv = buildah;
    argv.insert(argv.end(), {"inspect", "--type", "image", "--format",
                             "{{index .OCIv1.Config.Labels \"" + name + "\"}}", "localhost/rotator:" ROTATOR_VERSION});
    const auto result = run(argv);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return first_line(result.out);
  };
  const auto version = run({"dpkg-query", "-W", "-f", "${Version}", "ca-certificates"});
  REQUIRE(version.exit_code == 0);
  CHECK(label("io.rotator.ca-bundle.package") == "debian:ca-certificates=" + version.out);

  // The bundle in the image is exactly the package's Mozilla roots: as many
  // certificates as the package ships, and the recorded hash is its hash.
  const auto bundle = out.path() / "context" / "rootfs" / "etc" / "ssl" / "certs" / "ca-certificates.crt";
  const auto count =
      run({"/bin/sh", "-c", "dpkg -L ca-certificates | grep -c '^/usr/share/ca-certificates/mozilla/.*\\.crt$'"});
  const auto in_bundle = run({"grep", "-c", "BEGIN CERTIFICATE", bundle.string()});
  CHECK(first_line(in_bundle.out) == first_line(count.out));
  CHECK(label("io.rotator.ca-bundle.certificates") == first_line(count.out));
  const auto hash = run({"sha256sum", bundle.string()});
  CHECK(label("io.rotator.ca-bundle.sha256") == hash.out.substr(0, 64));
}
