#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "frame/object_ref.h"
#include "frame/snapshot.h"
#include "util/time.h"

namespace rotator::frame {

/// The annotation a holder leaves on the Lease it releases: for each Secret the
/// holders of the lock wrote, the resourceVersion their last write made.
inline constexpr const char* write_record_annotation = "rotator.io/written";
/// Set while the lock is held: the renewTime of the release it was taken from
/// (copied by the patch that takes it, so the record can be tied to that release).
inline constexpr const char* taken_from_annotation = "rotator.io/taken-from";

/// What the lock's holders wrote, as the release that wrote it left it. A run
/// that read a Secret before taking the lock, at exactly the recorded version,
/// read what the holders left: it need not read it again under the lock.
/// (Equality only: resourceVersions are opaque and never compared for order.)
struct WriteRecord {
  /// The renewTime of the release that wrote the record. Every rotator, of any
  /// version, sets renewTime whenever it takes, renews or releases the Lease, so
  /// a Lease whose renewTime differs was written since by one that did not keep
  /// this record (an older rotator, which copies annotations as they are): the
  /// record no longer tells what was written.
  std::string released_at;
  std::map<std::string, std::string> secrets;  ///< name -> resourceVersion

  bool operator==(const WriteRecord&) const = default;
};

/// Beyond this many Secrets the record is dropped, not truncated: a holder that
/// finds none reads everything again, which is always safe.
inline constexpr std::size_t max_write_record_entries = 64;

/// The annotation's value; nullopt when it is absent or not a record (a run then
/// reads everything again under the lock).
std::optional<WriteRecord> parse_write_record(const std::string& text);
std::string write_record_text(const WriteRecord& record);

/// The record, if it was written by the release the Lease was taken from: its
/// released_at names the same moment as that release's renewTime.
std::optional<WriteRecord> record_of_release(const std::optional<WriteRecord>& record,
                                             const std::optional<util::TimePoint>& release_renew_time);

/// The Secrets of `seen` still as the lock's holders left them: each read at the
/// version the record names. Workloads and pods change by themselves and are
/// never among them, nor Secrets the record does not name.
std::set<ObjectRef> unchanged_under_lock(const Snapshot& seen, const WriteRecord& record);

}  // namespace rotator::frame
