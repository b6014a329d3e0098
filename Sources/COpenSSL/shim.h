#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
// OpenSSL 3's libcrypto: digests, HMAC, PBKDF2, constant-time comparison, Ed25519 signatures.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
// And the kernel's getrandom(2), where EdgeCrypto's random bytes come from (Glibc's module map
// leaves the header out).
#include <sys/random.h>

/// SHA-256 of `count` bytes at `data` into `digest` (32 bytes); 1 on success. Through the
/// low-level functions, which OpenSSL 3 deprecates but keeps: its EVP digests (and the one-shot
/// `SHA256()`, built on them) first load the default provider's algorithm tables, 0.5–0.75 ms
/// of a short-lived process, for a digest that takes a microsecond.
static inline int copenssl_sha256(const void *data, size_t count, unsigned char *digest) {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    SHA256_CTX context;
    return SHA256_Init(&context) && SHA256_Update(&context, data, count) && SHA256_Final(digest, &context);
#pragma clang diagnostic pop
}
#endif
