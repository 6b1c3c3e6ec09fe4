#pragma once

#include <string>

#include "kube/client.h"
#include "kube/objects.h"

namespace rotator::tokens {

/// Records a Normal Event (TokenCreated, TokenRevoked, TokenRenewed) on a Secret.
/// Best effort: a failure is logged as a warning and never fails the command.
/// `message` names ids and descriptions, never token material.
void emit_token_event(kube::Client& client, const kube::ObjectMeta& secret, const std::string& reason,
                      const std::string& message);

}  // namespace rotator::tokens
