#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "frame/object_ref.h"
#include "frame/snapshot.h"

namespace rotator::frame {

/// The annotation a holder leaves on the Lease it releases: for each Secret the
/// holders of the lock wrote, the resourceVersion their last write made.
inline constexpr const char* write_record_annotation = "rotator.io/written";

/// Secret name -> resourceVersion of the last write under the lock. A run that
/// read a Secret before taking the lock, at exactly that version, read what the
/// holders left: it need not read it again under the lock. (Equality only:
/// resourceVersions are opaque and never compared for order.)
using WriteRecord = std::map<std::string, std::string>;

/// Beyond this many Secrets the record is dropped, not truncated: a holder that
/// finds none reads everything again, which is always safe.
inline constexpr std::size_t max_write_record_entries = 64;

/// The annotation's value; nullopt when it is absent or not a record (a run then
/// reads everything again under the lock).
std::optional<WriteRecord> parse_write_record(const std::string& text);
std::string write_record_text(const WriteRecord& record);

/// The Secrets of `seen` still as the lock's holders left them: each read at the
/// version the record names. Workloads and pods change by themselves and are
/// never among them, nor Secrets the record does not name.
std::set<ObjectRef> unchanged_under_lock(const Snapshot& seen, const WriteRecord& record);

}  // namespace rotator::frame
