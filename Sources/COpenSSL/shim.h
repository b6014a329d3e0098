#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
// OpenSSL 3's libcrypto: digests, HMAC, PBKDF2, constant-time comparison.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
// And the kernel's getrandom(2), where EdgeCrypto's random bytes come from (Glibc's module map
// leaves the header out).
#include <sys/random.h>
#endif
