#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "util/errors.h"
#include "util/private_file.h"

#include "test_support.h"

using namespace rotator;
namespace fs = std::filesystem;

namespace {

using testing::read_file;
using Scratch = testing::ScratchDir;

void write(const fs::path& path, const std::string& content, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("private file: a new file is 0600 whatever the umask, and no temporary file is left") {
  Scratch s;
  const auto target = s.path() / "token.json";
  const mode_t old_umask = ::umask(0);  // the most permissive umask: the mode must not depend on it
  const auto written = util::write_file_atomically(target, "{\"access_token\":\"x\"}");
  ::umask(old_umask);
  CHECK(read_file(target) == "{\"access_token\":\"x\"}");
  CHECK(mode_of(target) == 0600);
  CHECK(written.mode == 0600);
  CHECK(written.owner == ::geteuid());
  CHECK(entries(s.path()) == 1);
}

TEST_CASE("private file: a replaced token file becomes 0600 even if it was world-readable") {
  Scratch s;
  const auto target = s.path() / "token.json";
  write(target, "old", 0666);
  util::write_file_atomically(target, "new");
  CHECK(read_file(target) == "new");
  CHECK(mode_of(target) == 0600);
}

TEST_CASE("private file: planted files and symlinks at the temporary name are never opened") {
  Scratch s;
  const auto target = s.path() / "token.json";
  const auto victim = s.path() / "victim";
  write(victim, "precious", 0644);
  // The writer's first two choices of temporary name are taken: a symlink to
  // another file, then a world-writable file an attacker could read later.
  fs::create_symlink(victim, s.path() / "planted-link");
  write(s.path() / "planted-file", "", 0666);
  int calls = 0;
  util::FileWriteOptions options;
  options.temp_name = [&](std::string_view name) {
    ++calls;
    if (calls == 1) return std::string("planted-link");
    if (calls == 2) return std::string("planted-file");
    return util::random_temp_name(name);
  };
  util::write_file_atomically(target, "secret token", options);
  CHECK(calls == 3);
  CHECK(read_file(target) == "secret token");
  CHECK(mode_of(target) == 0600);
  CHECK(read_file(victim) == "precious");               // the symlink was not followed
  CHECK(read_file(s.path() / "planted-file").empty());  // the planted file received nothing
  CHECK(mode_of(s.path() / "planted-file") == 0666);    // and was not touched
  CHECK(fs::is_symlink(s.path() / "planted-link"));
}

TEST_CASE("private file: create_exclusive refuses an existing name of any kind") {
  Scratch s;
  const auto victim = s.path() / "victim";
  write(victim, "precious", 0644);
  fs::create_symlink(victim, s.path() / "link");
  fs::create_symlink(s.path() / "nowhere", s.path() / "dangling");
  util::Fd dir(::open(s.path().c_str(), O_RDONLY | O_DIRECTORY));
  for (const char* name : {"victim", "link", "dangling"}) {
    INFO(name);
    errno = 0;
    CHECK_FALSE(util::create_exclusive(dir.get(), name, 0600).valid());
    CHECK(errno == EEXIST);
  }
  CHECK(read_file(victim) == "precious");
  CHECK_FALSE(fs::exists(s.path() / "nowhere"));  // a dangling link is not created through either
}

TEST_CASE("private file: a symlink at the target is replaced, never written through") {
  Scratch s;
  const auto victim = s.path() / "victim";
  write(victim, "precious", 0644);
  const auto target = s.path() / "token.json";
  fs::create_symlink(victim, target);
  util::write_file_atomically(target, "token");
  CHECK_FALSE(fs::is_symlink(target));
  CHECK(read_file(target) == "token");
  CHECK(read_file(victim) == "precious");
}

TEST_CASE("private file: keep_owner_and_mode keeps the owner bits and drops the rest beyond max_mode") {
  Scratch s;
  const auto target = s.path() / "config.toml";
  util::FileWriteOptions options;
  options.existing = util::ExistingFile::keep_owner_and_mode;
  options.max_mode = 0600;
  SECTION("a read-only file stays read-only") {
    write(target, "a", 0400);
    CHECK(util::write_file_atomically(target, "b", options).mode == 0400);
    CHECK(mode_of(target) == 0400);
  }
  SECTION("group and other bits are dropped") {
    write(target, "a", 0644);
    util::write_file_atomically(target, "b", options);
    CHECK(mode_of(target) == 0600);
  }
  SECTION("a wider max_mode keeps the group's read bit") {
    write(target, "a", 0640);
    options.max_mode = 0640;
    util::write_file_atomically(target, "b", options);
    CHECK(mode_of(target) == 0640);
  }
  SECTION("a new file gets the new-file mode") {
    util::write_file_atomically(target, "b", options);
    CHECK(mode_of(target) == 0600);
  }
  SECTION("the owner and group are kept (root can give them)") {
    if (::geteuid() != 0) return;  // only root can make a file another user's
    write(target, "a", 0600);
    REQUIRE(::chown(target.c_str(), 4242, 4343) == 0);
    const auto written = util::write_file_atomically(target, "b", options);
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK(st.st_uid == 4242);
    CHECK(st.st_gid == 4343);
    CHECK(written.owner == 4242);
    CHECK(read_file(target) == "b");
  }
}

TEST_CASE("private file: a failure leaves the target as it was and no temporary file") {
  Scratch s;
  const auto target = s.path() / "token.json";
  write(target, "old", 0600);
  SECTION("every temporary name taken") {
    write(s.path() / "taken", "", 0600);
    util::FileWriteOptions options;
    options.temp_name = [](std::string_view) { return std::string("taken"); };
    CHECK_THROWS_WITH(util::write_file_atomically(target, "new", options),
                      Catch::Contains("names in a row were taken"));
    CHECK(entries(s.path()) == 2);
  }
  SECTION("the target is a directory") {
    fs::remove(target);
    fs::create_directory(target);
    CHECK_THROWS_WITH(util::write_file_atomically(target, "new"), Catch::Contains("is a directory"));
    CHECK(fs::is_directory(target));
    CHECK(entries(s.path()) == 1);
  }
  SECTION("the directory does not exist") {
    CHECK_THROWS_WITH(util::write_file_atomically(s.path() / "missing" / "token.json", "new"),
                      Catch::Contains("cannot open its directory"));
  }
  if (fs::exists(target) && fs::is_regular_file(target)) CHECK(read_file(target) == "old");
}

TEST_CASE("private file: temporary names are unpredictable and hidden") {
  const auto a = util::random_temp_name("token.json");
  const auto b = util::random_temp_name("token.json");
  CHECK(a != b);
  CHECK_THAT(a, Catch::StartsWith(".token.json.rotator-"));
  CHECK(a.size() == std::string(".token.json.rotator-").size() + 16);
}

TEST_CASE("private file: devices and pipes are written into, never replaced") {
  Scratch s;
  // A FIFO with a reader: written into, and still a FIFO afterwards.
  const auto fifo = s.path() / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  util::Fd reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK));
  REQUIRE(reader.valid());
  util::write_file_atomically(fifo, "token");
  char buffer[16] = {};
  CHECK(::read(reader.get(), buffer, sizeof buffer) == 5);
  CHECK(std::string(buffer) == "token");
  CHECK(fs::is_fifo(fifo));
  // A symlink of ours to it is followed, and stays a symlink.
  const auto link = s.path() / "out";
  fs::create_symlink(fifo, link);
  util::write_file_atomically(link, "again");
  CHECK(fs::is_symlink(link));
  CHECK(::read(reader.get(), buffer, sizeof buffer) == 5);
  // /dev/null stays a device (when it is one: a process elsewhere on the
  // machine that replaced it would make this check meaningless, not wrong).
  if (fs::is_character_file("/dev/null")) {
    util::write_file_atomically("/dev/null", "token");
    CHECK(fs::is_character_file("/dev/null"));
  }
  CHECK_THROWS_WITH(util::write_file_atomically(s.path(), "x"), Catch::Contains("is a directory"));
}
