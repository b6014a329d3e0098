#ifndef CLIBSSL_SHIM_H
#define CLIBSSL_SHIM_H
// OpenSSL 3's libssl: TLS for SMTP's STARTTLS, with certificate and host name verification.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

// Macros Swift cannot call.
static inline long clibssl_set_min_tls12(SSL_CTX *context) {
    return SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}
static inline long clibssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
#endif
