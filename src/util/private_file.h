#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "util/fd.h"

namespace rotator::util {

/// What a replaced file keeps of the file it replaces.
enum class ExistingFile {
  /// The new file gets `new_file_mode`, whatever the old one had (token files).
  replace_mode,
  /// The new file keeps the old one's owner, group and permission bits, narrowed
  /// to `max_mode` (config files a user or root made and may share with a group).
  keep_owner_and_mode,
};

/// How write_file_atomically treats modes and owners.
struct FileWriteOptions {
  mode_t new_file_mode = 0600;  ///< a file that did not exist (and ExistingFile::replace_mode)
  ExistingFile existing = ExistingFile::replace_mode;
  mode_t max_mode = 0600;  ///< with keep_owner_and_mode: bits outside are dropped
  /// Names the temporary file: random by default. Tests inject names to plant
  /// files and symlinks exactly where the writer will try first.
  std::function<std::string(std::string_view target_name)> temp_name;
};

/// The mode and owner a write gave the file, as fstat saw them on the written file.
struct WrittenFile {
  mode_t mode = 0;
  uid_t owner = 0;
  gid_t group = 0;
};

/// Replaces `target` with `content` so that no other user can read the content at
/// any moment and a reader sees the old file or the new one, never half:
///   - a temporary file with an unpredictable name, created in the target's
///     directory with O_CREAT|O_EXCL|O_NOFOLLOW (a planted file or symlink there
///     is never opened, let alone written through; the next name is tried),
///     mode 0600 from the start;
///   - its final mode and owner set with fchmod/fchown and checked with fstat
///     before a byte of content is written (a failure is an error, never ignored);
///   - written, fsync'ed, renamed over the target, and the directory fsync'ed so
///     the rename survives a crash.
/// The target itself is replaced, never followed: a symlink at `target` is
/// replaced by the file. On any failure the temporary file is removed and the
/// target is left as it was. Throws rotator::Error naming the path and errno's text.
///
/// A character device or FIFO target (/dev/null, /dev/stdout, /dev/fd/N) is
/// written into instead, never replaced; through a symlink only when root or
/// this user owns the link, so a link another user planted is refused.
WrittenFile write_file_atomically(const std::filesystem::path& target, std::string_view content,
                                  const FileWriteOptions& options = {});

/// Creates `name` in the directory `directory_fd` with O_CREAT|O_EXCL|O_NOFOLLOW
/// and O_CLOEXEC, mode `mode` (before the umask). An existing name (file, symlink,
/// anything) fails with EEXIST and is left untouched. Returns an invalid Fd with
/// errno set on failure.
Fd create_exclusive(int directory_fd, const std::string& name, mode_t mode);

/// A fresh temporary name for `target_name`: ".NAME.rotator-" and 16 random hex digits.
std::string random_temp_name(std::string_view target_name);

}  // namespace rotator::util
