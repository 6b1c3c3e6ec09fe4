#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>

namespace rotator::crypto {

namespace detail {

/// Calls OpenSSL's matching free function; a stateless deleter keeps each
/// handle the size of a raw pointer.
template <auto free_function>
struct OpensslDeleter {
  template <typename T>
  void operator()(T* handle) const noexcept {
    free_function(handle);
  }
};

}  // namespace detail

/// Owns an EVP_PKEY (a public key, or a private key with its public half).
using PkeyHandle = std::unique_ptr<EVP_PKEY, detail::OpensslDeleter<&EVP_PKEY_free>>;

/// Owns an EVP_PKEY_CTX (key generation and import contexts).
using PkeyCtxHandle = std::unique_ptr<EVP_PKEY_CTX, detail::OpensslDeleter<&EVP_PKEY_CTX_free>>;

/// Owns an EVP_MD_CTX (digest, sign and verify operations).
using MdCtxHandle = std::unique_ptr<EVP_MD_CTX, detail::OpensslDeleter<&EVP_MD_CTX_free>>;

/// Owns a BIO chain. Memory BIOs wipe their buffer when freed, which is why
/// private PEM text is staged in them.
using BioHandle = std::unique_ptr<BIO, detail::OpensslDeleter<&BIO_free_all>>;

/// Owns a BIGNUM; cleared on free because some hold private values.
using BignumHandle = std::unique_ptr<BIGNUM, detail::OpensslDeleter<&BN_clear_free>>;

/// Owns an ECDSA_SIG, used to convert ES256 signatures between DER and R||S.
using EcdsaSigHandle = std::unique_ptr<ECDSA_SIG, detail::OpensslDeleter<&ECDSA_SIG_free>>;

/// Owns an OSSL_PARAM_BLD used to assemble key parameters.
using ParamBuilderHandle = std::unique_ptr<OSSL_PARAM_BLD, detail::OpensslDeleter<&OSSL_PARAM_BLD_free>>;

/// Owns an OSSL_PARAM array produced by OSSL_PARAM_BLD_to_param.
using ParamsHandle = std::unique_ptr<OSSL_PARAM, detail::OpensslDeleter<&OSSL_PARAM_free>>;

/// Returns a mutable pointer for OpenSSL calls whose prototypes lack const
/// (EVP_DigestSignInit, EVP_PKEY_CTX_new) although they only take a
/// reference on the key; keeps the const_cast in one audited place.
inline EVP_PKEY* openssl_mutable(const EVP_PKEY& key) {
  return const_cast<EVP_PKEY*>(&key);
}

}  // namespace rotator::crypto
