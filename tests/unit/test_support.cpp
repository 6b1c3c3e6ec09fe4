#include "test_support.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "crypto/jwk.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "crypto/random.h"

namespace rotator::testing {

crypto::PkeyHandle FastKeys::generate(crypto::Algorithm, std::optional<int>) {
  ++generated;
  return crypto::generate_key(crypto::Algorithm::es256).private_key;
}

formats::SigningKey es256_key() {
  formats::SigningKey key;
  key.private_key = crypto::generate_key(crypto::Algorithm::es256).private_key;
  key.description = crypto::describe_key(*key.private_key);
  key.kid = crypto::key_thumbprint(*key.private_key);
  return key;
}

formats::KeyRing fresh_ring() {
  formats::KeyRing ring;
  ring.current = es256_key();
  ring.next = es256_key();
  ring.created_at = t0;
  return ring;
}

kube::Secret secret_of(const formats::KeyRing& ring, const std::string& name) {
  kube::Secret secret;
  secret.metadata.name = name;
  secret.metadata.namespace_ = "ns";
  secret.metadata.resource_version = "7";
  formats::store_key_ring(ring, secret);
  return secret;
}

std::string rsa_pem(int which, crypto::PrivateKeyForm form) {
  static const std::vector<crypto::PkeyHandle> keys = [] {
    std::vector<crypto::PkeyHandle> made;
    for (int i = 0; i < 3; ++i) made.push_back(crypto::generate_key(crypto::Algorithm::rs256).private_key);
    return made;
  }();
  return std::string(crypto::private_key_to_pem(*keys.at(static_cast<std::size_t>(which)), form).view());
}

kube::Secret bare_key_secret(const std::string& private_pem) {
  kube::Secret secret;
  secret.metadata.name = "rsa-keys";
  secret.metadata.namespace_ = "ns";
  secret.metadata.resource_version = "5";
  secret.type = "Opaque";
  secret.data["private.pem"] = private_pem;
  secret.data["public.pem"] = crypto::public_key_to_pem(*crypto::load_private_key_pem(private_pem));
  return secret;
}

kube::Secret token_secret(const std::string& data) {
  kube::Secret s;
  s.metadata.name = "admin-token";
  s.metadata.namespace_ = "ns";
  s.metadata.resource_version = "8";
  s.data["token"] = data;
  return s;
}

frame::Snapshot snapshot_of(const std::map<std::string, std::optional<kube::Secret>>& secrets) {
  frame::Snapshot seen("ns");
  for (const auto& [name, secret] : secrets) seen.put(frame::ObjectRef::secret(name), secret);
  return seen;
}

ScratchDir::ScratchDir() : path_(std::filesystem::temp_directory_path() / ("rotator-unit-" + crypto::uuid_v4())) {
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::write(const std::string& name, std::string_view content) const {
  std::ofstream(path_ / name, std::ios::binary) << content;
  return file(name);
}

std::string ScratchDir::read(const std::string& name) const {
  return read_file(path_ / name);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace rotator::testing
