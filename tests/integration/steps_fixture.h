#pragma once

// Helpers shared by the step tests: reading what rotator wrote with independent
// tools, and a token-management Deployment to restart.

#include <string>

#include "cluster_fixture.h"

namespace rotator::testing {

/// "RV(rsa-keys) RV(admin-token)" as kubectl reports them.
std::string secret_versions(const std::string& ns);

/// The admin token file, read with the documented pipeline:
/// kubectl get secrets/admin-token --template={{.data.token}} | base64 -d
std::string admin_token_file(const std::string& ns);

/// A data key of a Secret, decoded, read with kubectl.
std::string secret_value(const std::string& ns, const std::string& secret, const std::string& key);

/// Verifies an RS256 JWT's signature with `openssl dgst` and a public.pem: the
/// independent check that rotator's tokens are standard.
bool openssl_verifies_jwt(const std::string& jwt, const std::string& public_pem);

/// Whether the signing-key Secret holds a valid pair right now, checked with
/// openssl (the public key derived from private.pem equals public.pem).
bool keys_valid_by_openssl(const std::string& ns);

/// Applies the token-management Deployment (selector app=token-management); its
/// pods stay Pending until something marks them Ready.
void apply_token_management(const std::string& ns, int replicas);

/// Creates the token-management Deployment with `replicas` pods, all Ready, and
/// keeps marking its pods Ready (replacements too) while the result lives: the
/// kubelet this cluster does not have, for tests that only need pods to exist.
[[nodiscard]] std::unique_ptr<PodReadinessSimulator> deploy_token_management(const std::string& ns, int replicas);

/// The rotation ids recorded in rsa-keys' rotation history, oldest first.
std::vector<std::string> rotation_history(const std::string& ns);

/// A rerun of `revoke-and-rotate --restart delete-pods --rotation-id ID` against
/// the healthy server, after an interrupted one: it must exit 0, and afterwards
/// the rotation is recorded exactly once, the key pair is valid by openssl and
/// the admin token verifies under the current key.
void rerun_finishes_rotation(const std::string& ns, const std::string& rotation_id);

/// The methods of the write requests a --stats --log-format json run reported.
std::vector<std::string> write_methods(const std::string& json_stderr);
/// The keys a --stats --log-format json run of a writing command generated.
std::size_t keys_generated(const std::string& json_stderr);

}  // namespace rotator::testing
