// The container image: scripts/build-image builds it with buildah, and its root
// file system, mounted from buildah's store, holds exactly what the binary needs:
// the binary runs from it (chroot) as the image's non-root user, and talks to the
// real API server with a ServiceAccount's files at the path a pod has them.

#include <unistd.h>
#include <algorithm>

#include <iostream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "packaging_support.h"

using namespace rotator;
using namespace rotator::testing;

namespace {

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  return lines;
}

/// The files the dynamic loader maps for the binary, as ldd names them.
std::set<std::string> libraries_of(const std::string& ldd_output) {
  std::set<std::string> paths;
  std::istringstream in(ldd_output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first, arrow, path;
    words >> first >> arrow >> path;
    if (arrow == "=>" && path.starts_with("/")) paths.insert(path);
    if (first.starts_with("/")) paths.insert(first);  // the interpreter
  }
  return paths;
}

/// A working container of the image in buildah's store, mounted; removed afterwards.
class MountedImage {
 public:
  MountedImage(std::vector<std::string> buildah, const std::string& image) : buildah_(std::move(buildah)) {
    const auto from = run(with({"from", "--quiet", image}));
    INFO(from.err);
    REQUIRE(from.exit_code == 0);
    container_ = from.out.substr(0, from.out.find('\n'));
    const auto mount = run(with({"mount", container_}));
    INFO(mount.err);
    REQUIRE(mount.exit_code == 0);
    root_ = mount.out.substr(0, mount.out.find('\n'));
  }
  ~MountedImage() {
    run(with({"umount", container_}));
    run(with({"rm", container_}));
  }
  MountedImage(const MountedImage&) = delete;
  MountedImage& operator=(const MountedImage&) = delete;
  const std::filesystem::path& root() const { return root_; }
  std::vector<std::string> with(std::vector<std::string> args) const {
    auto argv = buildah_;
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

 private:
  std::vector<std::string> buildah_;
  std::string container_;
  std::filesystem::path root_;
};

bool have_buildah() {
  return run({"/bin/sh", "-c", "command -v buildah"}).exit_code == 0;
}

}  // namespace

TEST_CASE("packaging: the image holds the binary and exactly its libraries, and runs as non-root") {
  if (!have_buildah() || ::geteuid() != 0) {
    const char* why = ::geteuid() != 0 ? "chroot needs root" : "buildah is not installed (scripts/setup --image)";
    if (std::getenv("CI") != nullptr) FAIL("CI must build the image, but " << why);
    WARN("SKIPPED the image test: " << why);
    std::cout << skipped_marker << " the image test: " << why << std::endl;
    return;
  }
  const std::filesystem::path build_dir = std::filesystem::path(ROTATOR_BINARY).parent_path();
  TempDir out;
  const auto built = run({std::string(ROTATOR_SOURCE_DIR) + "/scripts/build-image", "--build-dir", build_dir.string(),
                          "--out", out.path().string(), "--no-build"});
  INFO(built.out << built.err);
  REQUIRE(built.exit_code == 0);
  CHECK_THAT(built.out, Catch::Contains("MB as an OCI archive"));
  const std::string version = ROTATOR_VERSION;
  CHECK(std::filesystem::exists(out.path() / ("rotator-" + version + ".oci.tar")));
  // A few MB of binary and libraries: a much bigger image means something crept in.
  CHECK(std::filesystem::file_size(out.path() / ("rotator-" + version + ".oci.tar")) < 30'000'000);

  const std::vector<std::string> buildah = {
      "buildah",          "--root", (out.path() / "storage").string(), "--runroot", (out.path() / "run").string(),
      "--storage-driver", "vfs"};
  const std::string image = "localhost/rotator:" + version;
  MountedImage mounted(buildah, image);
  const auto& root = mounted.root();

  const auto config = run(mounted.with(
      {"inspect", "--type", "image", "--format", "{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}", image}));
  INFO(config.err);
  CHECK(config.out.substr(0, config.out.find('\n')) == "65532:65532 [/rotator]");

  // Nothing but the binary, its libraries, the CA bundle and passwd/group.
  const auto host_ldd = run({"ldd", ROTATOR_BINARY});
  REQUIRE(host_ldd.exit_code == 0);
  auto expected = libraries_of(host_ldd.out);
  // At least the C library and the loader, whether the other libraries are linked in or not.
  REQUIRE(expected.size() >= 2);
  REQUIRE(std::any_of(expected.begin(), expected.end(),
                      [](const std::string& path) { return path.find("/libc.so") != std::string::npos; }));
  expected.insert({"/rotator", "/etc/ssl/certs/ca-certificates.crt", "/etc/passwd", "/etc/group"});
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.insert("/" + std::filesystem::relative(entry.path(), root).string());
  }
  CHECK(files == expected);
  CHECK_FALSE(std::filesystem::exists(root / "bin/sh"));

  // The image's own loader finds every library inside the image.
  const auto listed = run({"chroot", root.string(), "/lib64/ld-linux-x86-64.so.2", "--list", "/rotator"});
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.out, !Catch::Contains("not found"));
  CHECK(libraries_of(listed.out) == libraries_of(host_ldd.out));

  const auto ran = run({"chroot", "--userspec=65532:65532", root.string(), "/rotator", "version"});
  INFO(ran.err);
  CHECK(ran.exit_code == 0);
  CHECK_THAT(ran.out, Catch::StartsWith("rotator " + version + " "));

  // As in a pod: the ServiceAccount's files at the default path, the service
  // host and port in the environment, nothing else (libcurl, TLS and the CA
  // handling from the image's libraries).
  TestNamespace ns("image");
  TempDir manifests;
  const auto applied = kubectl(
      {"apply", "-n", ns.name(), "-f",
       write_list(manifests, "base.json", for_kubernetes_1_20(render_kustomize("manifests"), SuspendCronJobs::yes))
           .string()});
  REQUIRE(applied.exit_code == 0);
  ServiceAccountFiles sa(ns.name(), "rotator");
  const auto mount_dir = root / "var/run/secrets/kubernetes.io/serviceaccount";
  std::filesystem::create_directories(mount_dir);
  for (const char* file : {"token", "ca.crt", "namespace"}) {
    std::filesystem::copy_file(sa.dir() / file, mount_dir / file);
    std::filesystem::permissions(mount_dir / file, std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::group_read |
                                                       std::filesystem::perms::others_read);
  }
  const auto status = run({"env", "-i", "KUBERNETES_SERVICE_HOST=127.0.0.1",
                           "KUBERNETES_SERVICE_PORT=" + std::to_string(TestCluster::get().port), "/usr/sbin/chroot",
                           "--userspec=65532:65532", root.string(), "/rotator", "status", "-o", "json"});
  INFO(status.out << status.err);
  // Nothing is bootstrapped yet: status reads everything and judges the
  // namespace broken (exit 7), which is the answer, not a failure to answer.
  REQUIRE(status.exit_code == 7);
  const auto report = nlohmann::json::parse(status.out);
  CHECK(report["verdict"] == "broken");
  CHECK(report["keys"]["state"] == "absent");
  CHECK(report["cluster"]["context"] == "in-cluster");
  CHECK(report["namespace"] == ns.name());
  CHECK(lines_of(status.err).empty());
}
