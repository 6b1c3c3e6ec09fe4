#pragma once

// Which PEM form the private keys rotator writes take (contract, see README):
// the form is kept across rotations without being recorded anywhere but in the
// key itself, so a Secret taken over in PKCS#1 stays PKCS#1. Pure.

#include <optional>
#include <string_view>

#include "crypto/pem.h"
#include "formats/key_ring.h"

namespace rotator::formats {

/// The value of --key-form: "pkcs8" or "pkcs1". Throws UsageError naming the
/// flag for anything else.
crypto::PrivateKeyForm parse_key_form_flag(std::string_view text);

/// Throws UsageError when `form` cannot hold a key of `algorithm` (PKCS#1 is RSA only).
void check_key_form(crypto::PrivateKeyForm form, crypto::Algorithm algorithm);

/// The form of a key rotator writes into a ring (a new ring's keys, a staged key,
/// the key a rotation makes current): `asked` (--key-form) when given, else the
/// form of the ring's current key (`current`, absent for a new ring), else PKCS#8.
/// Throws UsageError when `asked` cannot hold the current key's type.
crypto::PrivateKeyForm form_for_new_keys(std::optional<crypto::PrivateKeyForm> asked, const SigningKey* current);

}  // namespace rotator::formats
