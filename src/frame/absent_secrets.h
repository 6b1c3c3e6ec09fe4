#pragma once

#include <string>
#include <vector>

namespace rotator::frame {

/// The one line for a run that must create Secrets it may not create: the
/// shipped Role has no `create` on Secrets (issue 16), the install ships them
/// empty (manifests/secrets.yaml), so an absent one means the install is
/// incomplete. Names the Secrets and the two ways to fix it.
std::string absent_secrets_message(const std::string& ns, const std::vector<std::string>& names);

}  // namespace rotator::frame
