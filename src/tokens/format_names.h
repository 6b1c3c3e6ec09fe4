#pragma once

// The token and registry formats moved to formats/ (pure parse and serialise).
// These declarations keep the names the tokens/ and commands/ code uses
// (tokens::TokenRecord, tokens::parse_registry, ...) until that code moves to
// the new command layer and names rotator::formats itself; then this file goes.

#include "formats/registry.h"
#include "formats/token_string.h"

namespace rotator::tokens {

using formats::any_revoked;
using formats::classify_token;
using formats::default_registry_secret;
using formats::display_prefix;
using formats::find_by_hash;
using formats::find_by_id;
using formats::GeneratedToken;
using formats::generate_token;
using formats::hashes_equal;
using formats::kind_name;
using formats::max_description_bytes;
using formats::max_secret_data_bytes;
using formats::parse_registry;
using formats::Permission;
using formats::Registry;
using formats::registry_data_key;
using formats::registry_schema_version;
using formats::revoke_ids;
using formats::RevokeOutcome;
using formats::RevokeResult;
using formats::serialize_registry;
using formats::state_at;
using formats::state_name;
using formats::to_seconds;
using formats::token_hash;
using formats::token_random_bytes;
using formats::TokenKind;
using formats::TokenRecord;
using formats::TokenState;
using formats::validate_description;

}  // namespace rotator::tokens
