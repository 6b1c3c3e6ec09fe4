#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace rotator::commands {

/// Sets a string value in one profile of influxctl's config.toml:
/// `set_influxctl_profile_value(path, "prod", "auth.token.mgmt_token", token)` makes the
/// `[[profile]]` whose name is "prod" hold `[profile.auth.token] mgmt_token = "..."`.
/// Creates the file (0600, parent directories 0700) and the profile when missing.
///
/// The edit is surgical: only the line with the value changes (or lines are
/// inserted); comments, formatting and every other profile stay byte-identical.
/// The result is parsed with toml++ and must equal the old document plus the one
/// change, else nothing is written. The file is replaced atomically, mode 0600.
/// Throws InvalidDataError (exit 5) when the existing file is not TOML or the
/// change cannot be made without touching other content (e.g. an inline table).
void set_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                 const std::string& key_path, const std::string& value);

/// Throws as set_influxctl_profile_value would, without writing: lets a command
/// check the file before it creates the token that goes into it.
void check_influxctl_profile_value(const std::filesystem::path& path, const std::string& profile,
                                   const std::string& key_path);

/// The pure half of set_influxctl_profile_value: the edited text.
std::string edit_influxctl_profile(std::string_view text, const std::string& profile,
                                   const std::string& key_path, const std::string& value);

}  // namespace rotator::commands
