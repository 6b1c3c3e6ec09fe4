#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "util/errors.h"
#include "util/fd.h"
#include "util/subprocess.h"

#include "test_support.h"

using namespace rotator;
namespace fs = std::filesystem;

namespace {

/// A scratch directory that can hold executable scripts.
struct Scratch : testing::ScratchDir {
  fs::path script(const std::string& name, const std::string& body) const {
    const fs::path path = write(name, "#!/bin/sh\n" + body);
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }
};

/// Changes the working directory for the scope.
struct ScopedCwd {
  fs::path saved = fs::current_path();
  explicit ScopedCwd(const fs::path& dir) { fs::current_path(dir); }
  ~ScopedCwd() { fs::current_path(saved); }
};

}  // namespace

TEST_CASE("subprocess: a command found through a relative PATH entry is refused, as kubectl refuses it") {
  Scratch s;
  s.script("plugin", "echo ran\n");
  ScopedCwd cwd(s.path());
  for (const char* path : {":/usr/bin", "/usr/bin::/bin", ".:/usr/bin", "/nonexistent:."}) {
    INFO(path);
    CHECK_THROWS_WITH(util::find_executable("plugin", path),
                      Catch::Contains("relative PATH entry") && Catch::Contains("refusing"));
  }
  // The same name in an absolute directory earlier in PATH wins and is allowed.
  CHECK(util::find_executable("plugin", (s.path().string() + "::/usr/bin")) == s.path().string() + "/plugin");
  // A relative entry that does not hold the command is harmless.
  CHECK(util::find_executable("sh", "relative-dir:/bin:/usr/bin") == "/bin/sh");
  CHECK_THROWS_WITH(util::find_executable("no-such-plugin-xyz", "/bin:/usr/bin"), Catch::Contains("not found on PATH"));
  // An explicit path is the user's choice, as in Go.
  CHECK(util::find_executable("./plugin", ":") == "./plugin");
}

TEST_CASE("subprocess: run_process resolves PATH itself and never runs from the current directory") {
  Scratch s;
  s.script("plugin-in-cwd", "echo ran\n");
  ScopedCwd cwd(s.path());
  const char* saved = std::getenv("PATH");
  const std::string old_path = saved ? saved : "";
  ::setenv("PATH", "/usr/bin:/bin:", 1);
  CHECK_THROWS_WITH(util::run_process({"plugin-in-cwd"}, {}, std::chrono::seconds(10), util::ChildStdin::null,
                                      util::ChildStderr::discard),
                    Catch::Contains("relative PATH entry"));
  ::setenv("PATH", old_path.c_str(), 1);
}

TEST_CASE("subprocess: the child inherits no descriptor but 0, 1 and 2") {
  Scratch s;
  // A socket and a file opened without O_CLOEXEC, as libcurl opens its sockets.
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  util::Fd a(pair[0]), b(pair[1]);
  util::Fd file(::open((s.path() / "secret").c_str(), O_WRONLY | O_CREAT, 0600));
  REQUIRE(file.valid());
  // The shell lists its own descriptors (the one the glob used is gone by the
  // time readlink looks at it, hence `true`); only sockets and our file's path
  // are looked for.
  const auto result = util::run_process({"/bin/sh", "-c", "for f in /proc/$$/fd/*; do readlink \"$f\"; done; true"}, {},
                                        std::chrono::seconds(10), util::ChildStdin::null, util::ChildStderr::discard);
  REQUIRE(result.exit_code == 0);
  INFO(result.stdout_text);
  CHECK(result.stdout_text.find("socket:") == std::string::npos);
  CHECK(result.stdout_text.find((s.path() / "secret").string()) == std::string::npos);
  CHECK(result.stdout_text.find("pipe:") != std::string::npos);  // stdout is there
}

TEST_CASE("subprocess: stderr can be captured apart from stdout, both bounded") {
  const auto result = util::run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {},
                                        std::chrono::seconds(10), util::ChildStdin::null, util::ChildStderr::capture);
  CHECK(result.exit_code == 3);
  CHECK(result.stdout_text == "out\n");
  CHECK(result.stderr_text == "err\n");
  CHECK(result.max_rss_kib > 0);
  const auto flood = util::run_process({"/bin/sh", "-c", "head -c 6000000 /dev/zero"}, {}, std::chrono::seconds(30),
                                       util::ChildStdin::null, util::ChildStderr::discard);
  CHECK(flood.exit_code == 0);
  CHECK(flood.stdout_text.size() == util::max_captured_output);
}
