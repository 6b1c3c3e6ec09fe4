#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rotator::formats {

// influxctl's config.toml as influxctl reads it (../shared/influxctl.md):
//
//   [[profile]]
//     name = "default"
//     product = "clustered"
//     host = "cluster-host.com"
//     port = "443"
//     mgmt_token = "M.V1...."          # directly under [[profile]]
//     [profile.auth.token]
//       token_file = "/path/token.json"
//
// Since influxctl 2.0.1 a key in the wrong place is an error, so rotator writes
// only these two settings, each in its documented place. The edit is a pure text
// transformation that keeps every other byte of the file (comments, spacing,
// other profiles, order); the file I/O is the caller's.

/// What rotator sets in a profile.
enum class InfluxctlSetting {
  mgmt_token,  ///< `mgmt_token` directly under [[profile]]
  token_file,  ///< `token_file` under [profile.auth.token]
};

/// "mgmt_token" or "auth.token.token_file", for messages.
std::string_view setting_name(InfluxctlSetting setting);

/// The flags a command offers for a new profile's host and port, named in the
/// error when a new profile is needed and they are missing.
inline constexpr std::string_view influxctl_host_flag = "--influxctl-host";
inline constexpr std::string_view influxctl_port_flag = "--influxctl-port";

struct InfluxctlConfigRequest {
  std::string profile = "default";  ///< the `name` of the [[profile]]
  InfluxctlSetting setting = InfluxctlSetting::mgmt_token;
  std::string value;
  /// For a profile that does not exist yet: it is created with
  /// product = "clustered" and these (port is a string in influxctl's schema).
  /// Ignored when the profile exists (its host and port are left alone).
  std::optional<std::string> host;
  std::optional<std::string> port;
  /// How messages name the file, e.g. its path.
  std::string source_name = "the influxctl config";
};

struct InfluxctlConfigEdit {
  std::string text;              ///< the whole new file
  bool created_profile = false;  ///< the profile was appended
  /// What else was done, one sentence each, for the command to report (e.g. a
  /// mgmt_token found under [profile.auth.token], where influxctl refuses it,
  /// moved to the profile).
  std::vector<std::string> notes;
};

/// The file's new text with `request.setting` set to `request.value` in the
/// profile named `request.profile`. `existing` is the current text, or nullopt
/// when there is no file.
///
/// - An existing value is replaced in place (also inside an inline table),
///   keeping the line's indentation and trailing comment.
/// - A new `mgmt_token` goes after the profile's last own key; a new
///   `token_file` into its [profile.auth.token] section, which is added at the
///   end of the profile when missing.
/// - A `mgmt_token` under [profile.auth.token] (where rotator wrote it before)
///   is removed from there: moved to the profile when it has none, dropped when
///   the profile has its own or a new one is being set (influxctl never read it
///   there); a section left empty by that goes too. Both are reported in notes.
/// - A missing profile is appended with name, product = "clustered", host, port.
///
/// The result is parsed again with toml++ and must hold exactly the old
/// document plus this change, or nothing is returned.
///
/// Throws UsageError (exit 2) when the profile is missing and host or port was
/// not given (naming influxctl_host_flag and influxctl_port_flag), or for an
/// empty profile name or a malformed host or port; InvalidDataError (exit 5),
/// naming the line and the reason, when the file is not valid TOML, has two
/// profiles of that name, writes profiles or the needed table in a form rotator
/// will not rewrite (an inline table that would need a new key, dotted keys), or
/// when the edit would change anything else.
InfluxctlConfigEdit edit_influxctl_config(std::optional<std::string_view> existing,
                                          const InfluxctlConfigRequest& request);

}  // namespace rotator::formats
