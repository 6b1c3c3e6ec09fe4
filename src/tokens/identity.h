#pragma once

#include <string>

#include "kube/client.h"

namespace rotator::tokens {

/// Who is running this command, for a record's created_by: the user name the API
/// server reports (SelfSubjectReview, Kubernetes 1.28+), else the kubeconfig context
/// and credential description, else empty. Never fails.
std::string current_identity(kube::Client& client);

}  // namespace rotator::tokens
