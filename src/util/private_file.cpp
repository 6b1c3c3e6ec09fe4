#include "util/private_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>

#include "util/errors.h"

namespace rotator::util {
namespace {

constexpr int max_temp_name_attempts = 16;

std::string errno_text(int error) {
  return std::strerror(error);
}

/// Removes the temporary file unless the rename made it the target.
class TempFileGuard {
 public:
  TempFileGuard(int directory_fd, std::string name) : directory_fd_(directory_fd), name_(std::move(name)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!committed_) ::unlinkat(directory_fd_, name_.c_str(), 0);
  }
  void commit() { committed_ = true; }

 private:
  int directory_fd_;
  std::string name_;
  bool committed_ = false;
};

void write_all(int fd, std::string_view content, const std::string& what) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("cannot write " + what + ": " + errno_text(n < 0 ? errno : EIO));
    written += static_cast<std::size_t>(n);
  }
}

struct WantedAttributes {
  mode_t mode;
  std::optional<uid_t> owner;  ///< set: the old file's owner and group are kept
  std::optional<gid_t> group;
};

WantedAttributes wanted_attributes(int directory_fd, const std::string& name, const std::string& target,
                                   const FileWriteOptions& options) {
  WantedAttributes wanted{static_cast<mode_t>(options.new_file_mode & 0777), std::nullopt, std::nullopt};
  if (options.existing != ExistingFile::keep_owner_and_mode) return wanted;
  struct stat old {};
  if (::fstatat(directory_fd, name.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return wanted;
    throw Error("cannot inspect " + target + ": " + errno_text(errno));
  }
  // Only a regular file has a mode worth keeping; a symlink there is replaced
  // (never followed) and the new file gets the new-file mode.
  if (!S_ISREG(old.st_mode)) return wanted;
  wanted.mode = old.st_mode & 0777 & options.max_mode;
  wanted.owner = old.st_uid;
  wanted.group = old.st_gid;
  return wanted;
}

/// Gives the open temporary file its final owner and mode, then checks with
/// fstat that it really has them: no content is written into a file another
/// user could read.
WrittenFile set_and_check_attributes(int fd, const WantedAttributes& wanted, const std::string& target) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error("cannot inspect the temporary file for " + target + ": " + errno_text(errno));
  if (wanted.owner && (st.st_uid != *wanted.owner || st.st_gid != *wanted.group)) {
    if (::fchown(fd, *wanted.owner, *wanted.group) != 0) {
      throw Error("cannot keep the owner of " + target + " (uid " + std::to_string(*wanted.owner) + ", gid " +
                  std::to_string(*wanted.group) + "): " + errno_text(errno) + "; run rotator as that user, or as root");
    }
  }
  if (::fchmod(fd, wanted.mode) != 0) {
    throw Error("cannot set the mode of the temporary file for " + target + ": " + errno_text(errno));
  }
  if (::fstat(fd, &st) != 0) throw Error("cannot inspect the temporary file for " + target + ": " + errno_text(errno));
  const uid_t expected_owner = wanted.owner.value_or(::geteuid());
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || (st.st_mode & 07777) != wanted.mode || st.st_uid != expected_owner ||
      (wanted.group && st.st_gid != *wanted.group)) {
    char mode_text[8];
    std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw Error("the temporary file for " + target + " does not have the mode and owner rotator set (mode " +
                mode_text + ", uid " + std::to_string(st.st_uid) + "); nothing was written");
  }
  return WrittenFile{static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
}

/// Device and FIFO targets (/dev/null, /dev/stdout, a process substitution's
/// /dev/fd/N) are written into, not replaced: replacing them would put a
/// regular file where the system expects a device. A symlink to one is followed
/// only when root or we own the link (the /dev and /proc/self links), never a
/// link another user may have planted in a shared directory.
enum class TargetKind { replace, write_into };

TargetKind target_kind(const std::string& target) {
  struct stat link {};
  if (::lstat(target.c_str(), &link) != 0) return TargetKind::replace;  // missing: created
  if (S_ISREG(link.st_mode)) return TargetKind::replace;
  if (S_ISCHR(link.st_mode) || S_ISFIFO(link.st_mode)) return TargetKind::write_into;
  if (S_ISDIR(link.st_mode)) throw Error("cannot write " + target + ": it is a directory");
  if (S_ISLNK(link.st_mode)) {
    struct stat resolved {};
    if (::stat(target.c_str(), &resolved) != 0 || S_ISREG(resolved.st_mode)) return TargetKind::replace;
    if (S_ISCHR(resolved.st_mode) || S_ISFIFO(resolved.st_mode)) {
      if (link.st_uid == 0 || link.st_uid == ::geteuid()) return TargetKind::write_into;
      throw Error("cannot write " + target + ": it is a symlink of another user (uid " + std::to_string(link.st_uid) +
                  ") to a device or pipe; refusing to write a secret through it");
    }
    return TargetKind::replace;
  }
  throw Error("cannot write " + target + ": it is neither a regular file, a device nor a pipe");
}

WrittenFile write_into_device(const std::string& target, std::string_view content) {
  Fd fd(::open(target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
  if (!fd) throw Error("cannot write " + target + ": " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    throw Error("cannot write " + target + ": it changed while rotator opened it");
  }
  write_all(fd.get(), content, target);
  if (fd.close() != 0) throw Error("cannot write " + target + ": " + errno_text(errno));
  return WrittenFile{static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
}

}  // namespace

Fd create_exclusive(int directory_fd, const std::string& name, mode_t mode) {
  return Fd(::openat(directory_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
}

std::string random_temp_name(std::string_view target_name) {
  std::uint64_t random = 0;
  std::size_t got = 0;
  while (got < sizeof random) {
    const ssize_t n = ::getrandom(reinterpret_cast<char*>(&random) + got, sizeof random - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("cannot get random bytes for a temporary file name: " + errno_text(errno));
    got += static_cast<std::size_t>(n);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random));
  return "." + std::string(target_name) + ".rotator-" + hex;
}

WrittenFile write_file_atomically(const std::filesystem::path& target, std::string_view content,
                                  const FileWriteOptions& options) {
  const std::string target_text = target.string();
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") throw Error(target_text + " does not name a file");
  const std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : ".";
  if (target_kind(target_text) == TargetKind::write_into) return write_into_device(target_text, content);

  Fd directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!directory_fd) {
    throw Error("cannot write " + target_text + ": cannot open its directory " + directory.string() + ": " +
                errno_text(errno));
  }
  const WantedAttributes wanted = wanted_attributes(directory_fd.get(), name, target_text, options);

  Fd file;
  std::string temp;
  for (int attempt = 0; attempt < max_temp_name_attempts && !file; ++attempt) {
    temp = options.temp_name ? options.temp_name(name) : random_temp_name(name);
    file = create_exclusive(directory_fd.get(), temp, 0600);
    if (!file && errno != EEXIST) {
      throw Error("cannot create a temporary file in " + directory.string() + " for " + target_text + ": " +
                  errno_text(errno));
    }
  }
  if (!file) {
    throw Error("cannot create a temporary file in " + directory.string() + " for " + target_text + ": " +
                std::to_string(max_temp_name_attempts) + " names in a row were taken");
  }
  TempFileGuard guard(directory_fd.get(), temp);

  const WrittenFile written = set_and_check_attributes(file.get(), wanted, target_text);
  write_all(file.get(), content, target_text);
  if (::fsync(file.get()) != 0) throw Error("cannot write " + target_text + ": " + errno_text(errno));
  if (file.close() != 0) throw Error("cannot write " + target_text + ": " + errno_text(errno));
  if (::renameat(directory_fd.get(), temp.c_str(), directory_fd.get(), name.c_str()) != 0) {
    throw Error("cannot replace " + target_text + ": " + errno_text(errno));
  }
  guard.commit();
  // The rename is only durable once the directory is: a crash now must not bring
  // the old file back. EINVAL: the file system cannot sync directories at all.
  if (::fsync(directory_fd.get()) != 0 && errno != EINVAL) {
    throw Error("wrote " + target_text + " but cannot sync its directory: " + errno_text(errno));
  }
  return written;
}

}  // namespace rotator::util
