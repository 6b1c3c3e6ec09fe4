// Issue 16, finding 10: the binary is built hardened and links only what it
// uses. Judged with binutils' readelf and ldd, not with the build's own flags.

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "cluster_fixture.h"

using namespace rotator::testing;

namespace {

std::string tool(const std::vector<std::string>& argv) {
  const auto result = run(argv);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

/// The line of `text` holding `word` (std::regex over readelf's whole output
/// overflows the stack).
std::string line_with(const std::string& text, const std::string& word) {
  const auto at = text.find(word);
  if (at == std::string::npos) return {};
  const auto start = text.rfind('\n', at);
  const auto end = text.find('\n', at);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end == std::string::npos ? std::string::npos : end - start);
}

std::set<std::string> shared_libraries(const std::string& ldd_output) {
  std::set<std::string> names;
  std::istringstream in(ldd_output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    if (!name.empty() && name != "linux-vdso.so.1") names.insert(name);
  }
  return names;
}

}  // namespace

TEST_CASE("hardening: the binary has full RELRO, PIE, stack canaries and FORTIFY checks") {
  const std::string header = tool({"readelf", "--file-header", ROTATOR_BINARY});
  const std::string segments = tool({"readelf", "--program-headers", "--wide", ROTATOR_BINARY});
  const std::string dynamic = tool({"readelf", "--dynamic", ROTATOR_BINARY});
  const std::string symbols = tool({"readelf", "--dyn-syms", "--wide", ROTATOR_BINARY});

  CHECK_THAT(header, Catch::Contains("DYN (Position-Independent Executable file)"));  // PIE
  CHECK_THAT(dynamic, Catch::Contains("PIE"));
  CHECK_THAT(segments, Catch::Contains("GNU_RELRO"));                                 // RELRO ...
  CHECK_THAT(dynamic, Catch::Contains("BIND_NOW") || Catch::Contains("Flags: NOW"));  // ... full (-z now)
  CHECK_THAT(line_with(segments, "GNU_STACK"), !Catch::Contains("RWE"));              // no executable stack
  CHECK_THAT(symbols, Catch::Contains("__stack_chk_fail"));                           // canaries
#if defined(_FORTIFY_SOURCE) && _FORTIFY_SOURCE >= 2
  // glibc's checked variants replace the plain calls where sizes are known.
  CHECK_THAT(symbols, Catch::Contains("_chk@"));
#else
  WARN("this build has no _FORTIFY_SOURCE (a sanitizer or Debug build): FORTIFY not checked");
#endif
}

TEST_CASE("hardening: the binary loads no library of a protocol it does not speak") {
  const auto libraries = shared_libraries(tool({"ldd", ROTATOR_BINARY}));
  std::ostringstream listed;
  for (const auto& name : libraries) listed << name << " ";
  INFO(libraries.size() << " shared libraries: " << listed.str());
  std::cout << "hardening: " << libraries.size() << " shared libraries (ROTATOR_CURL=" << ROTATOR_CURL_MODE
            << "): " << listed.str() << std::endl;
  if (std::string(ROTATOR_CURL_MODE) != "minimal") {
    WARN("built with ROTATOR_CURL=" << ROTATOR_CURL_MODE << ": Debian's full libcurl, library set not checked");
    return;
  }
  for (const char* unwanted :
       {"libcurl", "libldap", "liblber", "librtmp", "libssh", "libgnutls", "libgssapi", "libkrb5", "libsasl2",
        "libnghttp2", "libidn2", "libpsl", "libbrotli", "libzstd", "libnettle", "libhogweed", "libp11-kit"}) {
    INFO(unwanted);
    CHECK(std::none_of(libraries.begin(), libraries.end(),
                       [&](const std::string& name) { return name.starts_with(unwanted); }));
  }
  CHECK(libraries.size() <= 14);
}

TEST_CASE("hardening: a static build loads only the C library, and relocates with a packed table") {
  if (!ROTATOR_STATIC_LIBS) {
    WARN(
        "built with ROTATOR_STATIC_LIBS=OFF (a sanitizer build, or ROTATOR_CURL=system): shared libraries not "
        "checked");
    return;
  }
  const auto libraries = shared_libraries(tool({"ldd", ROTATOR_BINARY}));
  for (const auto& name : libraries) {
    INFO(name);
    // libm comes with g++'s link line; libc, its loader and the vDSO are the system's.
    CHECK((name.starts_with("libc.so") || name.starts_with("libm.so") || name.find("/ld-linux") != std::string::npos ||
           name.starts_with("linux-vdso")));
  }
  // The OpenSSL that TLS and the keys use is the one linked in: no libssl or
  // libcrypto from the host or the image, whatever its version.
  const std::string dynamic = tool({"readelf", "--dynamic", ROTATOR_BINARY});
  CHECK_THAT(dynamic, !Catch::Contains("libcrypto") && !Catch::Contains("libstdc++"));
  CHECK_THAT(dynamic, Catch::Contains("(RELR)"));
}
