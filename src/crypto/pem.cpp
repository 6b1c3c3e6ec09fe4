#include "crypto/pem.h"

#include <openssl/decoder.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <climits>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/crypto_error.h"
#include "crypto/keys.h"

namespace rotator::crypto {

namespace {

constexpr std::string_view begin_marker = "-----BEGIN ";
constexpr std::string_view dashes = "-----";

/// One "-----BEGIN <label>-----" line found in a PEM text.
struct PemBlock {
  std::string_view label;
  std::size_t offset;
  bool has_end_line;  ///< a matching "-----END <label>-----" follows
};

std::vector<PemBlock> find_pem_blocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  for (std::size_t begin = text.find(begin_marker); begin != std::string_view::npos;
       begin = text.find(begin_marker, begin + 1)) {
    const std::size_t label_start = begin + begin_marker.size();
    const std::size_t label_end = text.find(dashes, label_start);
    if (label_end == std::string_view::npos) break;
    const std::string_view label = text.substr(label_start, label_end - label_start);
    if (label.find('\n') != std::string_view::npos) continue;
    const std::string end_line = "-----END " + std::string(label) + "-----";
    blocks.push_back({label, begin, text.find(end_line, label_end) != std::string_view::npos});
  }
  return blocks;
}

bool is_private_key_label(std::string_view label) {
  return label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY" ||
         label == "ENCRYPTED PRIVATE KEY";
}

bool is_encrypted_label(std::string_view label) {
  return label == "ENCRYPTED PRIVATE KEY";
}

// Labels are echoed only when they are one of these well-known types, so an
// error message never repeats arbitrary input.
std::string describe_label(std::string_view label) {
  if (is_private_key_label(label)) return "a private key";
  static constexpr std::array<std::string_view, 7> known{"PUBLIC KEY",         "RSA PUBLIC KEY",      "CERTIFICATE",
                                                         "X509 CRL",           "CERTIFICATE REQUEST", "EC PARAMETERS",
                                                         "OPENSSH PRIVATE KEY"};
  for (std::string_view candidate : known) {
    if (candidate == label) return "a \"" + std::string(label) + "\" block";
  }
  return "an unrecognised PEM block";
}

BioHandle read_only_bio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) throw CryptoError("PEM text is too large");
  BioHandle bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw openssl_failure("cannot allocate a memory BIO");
  return bio;
}

BioHandle writable_bio() {
  BioHandle bio(BIO_new(BIO_s_mem()));
  if (!bio) throw openssl_failure("cannot allocate a memory BIO");
  return bio;
}

// Without a callback OpenSSL would prompt on the terminal for a passphrase;
// instead refuse and remember that one was asked for.
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

void ensure_supported(const EVP_PKEY& key) {
  static_cast<void>(describe_key(key));
}

}  // namespace

std::string_view form_name(PrivateKeyForm form) {
  switch (form) {
    case PrivateKeyForm::pkcs8: return "PKCS#8";
    case PrivateKeyForm::pkcs1: return "PKCS#1";
    case PrivateKeyForm::sec1: return "SEC1";
  }
  return "PKCS#8";
}

std::optional<PrivateKeyForm> parse_private_key_form(std::string_view text) {
  if (text == "pkcs8") return PrivateKeyForm::pkcs8;
  if (text == "pkcs1") return PrivateKeyForm::pkcs1;
  if (text == "sec1") return PrivateKeyForm::sec1;
  return std::nullopt;
}

SecretString private_key_to_pem(const EVP_PKEY& private_key, PrivateKeyForm form) {
  const int type = EVP_PKEY_get_base_id(&private_key);
  if (form == PrivateKeyForm::pkcs1 && type != EVP_PKEY_RSA) {
    throw CryptoError("PKCS#1 holds RSA keys only; write this key as PKCS#8");
  }
  if (form == PrivateKeyForm::sec1 && type != EVP_PKEY_EC) {
    throw CryptoError("SEC1 holds EC keys only; write this key as PKCS#8");
  }
  BioHandle bio = writable_bio();
  // PEM_write_bio_PrivateKey emits PKCS#8 in OpenSSL 3; the _traditional variant
  // the type-specific structure (PKCS#1 for RSA, SEC1 for EC). The memory BIO
  // grows with BUF_MEM_grow_clean and is cleansed when freed.
  const int written =
      form == PrivateKeyForm::pkcs8
          ? PEM_write_bio_PrivateKey(bio.get(), &private_key, nullptr, nullptr, 0, nullptr, nullptr)
          : PEM_write_bio_PrivateKey_traditional(bio.get(), &private_key, nullptr, nullptr, 0, nullptr, nullptr);
  if (written != 1) {
    throw openssl_failure("cannot encode the private key as " + std::string(form_name(form)) +
                          " PEM (is it a public key?)");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  SecretString pem(data, static_cast<std::size_t>(length));
  // What was asked for is what was written: the label says it.
  if (private_key_pem_form(pem.view()) != form) throw CryptoError("OpenSSL wrote another PEM form than asked for");
  return pem;
}

std::string public_key_to_pem(const EVP_PKEY& key) {
  BioHandle bio = writable_bio();
  if (PEM_write_bio_PUBKEY(bio.get(), &key) != 1) {
    throw openssl_failure("cannot encode the public key as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

namespace {

/// The first private key block of `pem`, checked to be complete and unencrypted.
PemBlock private_key_block(std::string_view pem) {
  const std::vector<PemBlock> blocks = find_pem_blocks(pem);
  if (blocks.empty()) throw CryptoError("private key is not PEM (no \"-----BEGIN\" line)");
  std::optional<PemBlock> key_block;
  for (const PemBlock& block : blocks) {
    if (is_private_key_label(block.label)) {
      key_block = block;
      break;
    }
  }
  if (!key_block) {
    throw CryptoError("expected a private key PEM but found " + describe_label(blocks.front().label));
  }
  if (is_encrypted_label(key_block->label)) {
    throw CryptoError("private key PEM is encrypted; an unencrypted PKCS#8 or PKCS#1 key is required");
  }
  if (!key_block->has_end_line) throw CryptoError("private key PEM is truncated (no END line)");
  return *key_block;
}

PrivateKeyForm form_of_label(std::string_view label) {
  if (label == "RSA PRIVATE KEY") return PrivateKeyForm::pkcs1;
  if (label == "EC PRIVATE KEY") return PrivateKeyForm::sec1;
  return PrivateKeyForm::pkcs8;
}

// Why keys are decoded in two ways. OpenSSL 3.0's generic PEM reader sets up a
// decoder for every structure and key type it knows before it looks at the
// input: about 300 us for one RSA key, a fifth of a converged run's own CPU,
// which reads each key several times. Told the structure and the key type
// (from the label, or from the PKCS#8 algorithm OID), it sets up one chain and
// takes a third of that. Anything the narrow path does not decode (a header,
// an unexpected body) goes to the generic reader, so what is accepted and every
// error message stay as they were.

/// The DER body of the first PEM block of `text`, wiped when freed.
class PemBody {
 public:
  /// The first block of `text`; plain() is false when there is none, or it is
  /// not labelled `label` (OpenSSL skips lines it cannot read as a BEGIN line,
  /// so the block it finds may not be the one rotator's own scan found).
  PemBody(std::string_view text, std::string_view label) {
    BioHandle bio = read_only_bio(text);
    if (PEM_read_bio_ex(bio.get(), &name_, &header_, &data_, &length_, PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) !=
        1) {
      // OpenSSL before 3.0.8 left freed pointers behind on some failures (CVE-2022-4450).
      name_ = header_ = nullptr;
      data_ = nullptr;
      length_ = 0;
      clear_openssl_errors();
    }
    labelled_ = name_ != nullptr && std::string_view(name_) == label;
  }
  PemBody(const PemBody&) = delete;
  PemBody& operator=(const PemBody&) = delete;
  ~PemBody() {
    // PEM_FLAG_SECURE allocates all three from the secure heap when there is one.
    OPENSSL_secure_free(name_);
    OPENSSL_secure_free(header_);
    if (data_ != nullptr) OPENSSL_secure_clear_free(data_, static_cast<std::size_t>(length_));
  }

  /// True for a block without headers (no Proc-Type, so not encrypted).
  bool plain() const { return labelled_ && data_ != nullptr && header_ != nullptr && header_[0] == '\0'; }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return static_cast<std::size_t>(length_); }

 private:
  char* name_ = nullptr;
  char* header_ = nullptr;
  unsigned char* data_ = nullptr;
  long length_ = 0;
  bool labelled_ = false;
};

/// The dotted algorithm OID of a PKCS#8 PrivateKeyInfo; OpenSSL's key managers
/// answer to it as to their names ("1.2.840.113549.1.1.1" is RSA).
std::optional<std::string> pkcs8_algorithm_oid(const PemBody& body) {
  const unsigned char* cursor = body.data();
  const std::unique_ptr<PKCS8_PRIV_KEY_INFO, detail::OpensslDeleter<&PKCS8_PRIV_KEY_INFO_free>> info(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(body.size())));
  const ASN1_OBJECT* algorithm = nullptr;
  if (!info || PKCS8_pkey_get0(&algorithm, nullptr, nullptr, nullptr, info.get()) != 1) return std::nullopt;
  std::array<char, 128> oid{};
  const int length = OBJ_obj2txt(oid.data(), static_cast<int>(oid.size()), algorithm, 1);
  if (length <= 0 || static_cast<std::size_t>(length) >= oid.size()) return std::nullopt;
  return std::string(oid.data(), static_cast<std::size_t>(length));
}

/// The private key in the first PEM block of `text`, decoded as `form` says;
/// null when that does not work (the generic reader then has its say).
PkeyHandle decode_private_key_der(std::string_view text, std::string_view label, PrivateKeyForm form) {
  const PemBody body(text, label);
  if (!body.plain()) return nullptr;
  std::optional<std::string> key_type;
  const char* structure = "type-specific";
  switch (form) {
    case PrivateKeyForm::pkcs1: key_type = "RSA"; break;
    case PrivateKeyForm::sec1: key_type = "EC"; break;
    case PrivateKeyForm::pkcs8:
      key_type = pkcs8_algorithm_oid(body);
      structure = "PrivateKeyInfo";
      break;
  }
  if (!key_type) {
    clear_openssl_errors();
    return nullptr;
  }
  EVP_PKEY* decoded = nullptr;
  const std::unique_ptr<OSSL_DECODER_CTX, detail::OpensslDeleter<&OSSL_DECODER_CTX_free>> decoder(
      OSSL_DECODER_CTX_new_for_pkey(&decoded, "DER", structure, key_type->c_str(), EVP_PKEY_KEYPAIR, nullptr, nullptr));
  const unsigned char* cursor = body.data();
  std::size_t left = body.size();
  PkeyHandle key;
  if (decoder && OSSL_DECODER_from_data(decoder.get(), &cursor, &left) == 1) key.reset(decoded);
  if (!key || left != 0) {
    clear_openssl_errors();
    return nullptr;
  }
  return key;
}

/// OpenSSL's generic reader: every structure and key type, encrypted PEM refused.
PkeyHandle decode_private_key_any(std::string_view text) {
  BioHandle bio = read_only_bio(text);
  bool passphrase_asked = false;
  PkeyHandle key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &passphrase_asked));
  if (passphrase_asked) {
    // Traditional PEM marks encryption with a Proc-Type header, not a label.
    clear_openssl_errors();
    throw CryptoError("private key PEM is encrypted; an unencrypted PKCS#8 or PKCS#1 key is required");
  }
  if (!key) throw openssl_failure("cannot parse the private key PEM (corrupt or truncated?)");
  return key;
}

/// OpenSSL's generic reader for a public key; null when it cannot read one.
PkeyHandle decode_public_key_any(std::string_view text) {
  BioHandle bio = read_only_bio(text);
  bool passphrase_asked = false;
  return PkeyHandle(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, &passphrase_asked));
}

/// The SubjectPublicKeyInfo in the first PEM block of `text`; null when it
/// does not decode whole (the generic reader then has its say).
PkeyHandle decode_public_key_der(std::string_view text) {
  const PemBody body(text, "PUBLIC KEY");
  if (!body.plain()) return nullptr;
  const unsigned char* cursor = body.data();
  PkeyHandle key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(body.size())));
  if (!key || cursor != body.data() + body.size()) {
    clear_openssl_errors();
    return nullptr;
  }
  return key;
}

}  // namespace

PrivateKeyForm private_key_pem_form(std::string_view pem) {
  return form_of_label(private_key_block(pem).label);
}

LoadedPrivateKey load_private_key_pem_with_form(std::string_view pem) {
  const PemBlock key_block = private_key_block(pem);
  const PrivateKeyForm form = form_of_label(key_block.label);
  const std::string_view text = pem.substr(key_block.offset);
  PkeyHandle key = decode_private_key_der(text, key_block.label, form);
  if (!key) key = decode_private_key_any(text);
  ensure_supported(*key);
  // A label that does not match the key inside (an EC key in "RSA PRIVATE KEY")
  // would make rotator write the key back in a form it was not in.
  const int type = EVP_PKEY_get_base_id(key.get());
  if ((form == PrivateKeyForm::pkcs1 && type != EVP_PKEY_RSA) ||
      (form == PrivateKeyForm::sec1 && type != EVP_PKEY_EC)) {
    throw CryptoError("private key PEM says " + std::string(form_name(form)) + " but holds another key type");
  }
  return {std::move(key), form};
}

PkeyHandle load_private_key_pem(std::string_view pem) {
  return load_private_key_pem_with_form(pem).key;
}

PkeyHandle load_public_key_pem(std::string_view pem) {
  const std::vector<PemBlock> blocks = find_pem_blocks(pem);
  if (blocks.empty()) throw CryptoError("public key is not PEM (no \"-----BEGIN\" line)");
  std::optional<PemBlock> key_block;
  for (const PemBlock& block : blocks) {
    if (block.label == "PUBLIC KEY") {
      key_block = block;
      break;
    }
  }
  if (!key_block) {
    throw CryptoError("expected a \"PUBLIC KEY\" PEM but found " + describe_label(blocks.front().label));
  }
  if (!key_block->has_end_line) throw CryptoError("public key PEM is truncated (no END line)");
  const std::string_view text = pem.substr(key_block->offset);
  PkeyHandle key = decode_public_key_der(text);
  if (!key) key = decode_public_key_any(text);
  if (!key) throw openssl_failure("cannot parse the public key PEM (corrupt or truncated?)");
  ensure_supported(*key);
  return key;
}

}  // namespace rotator::crypto
