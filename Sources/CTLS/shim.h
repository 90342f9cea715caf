#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

// Swift does not import function-like macros: what BatonHTTP needs of them, as functions.

/// TLS 1.2 or later, without renegotiation or compression.
static inline int baton_tls_restrict(SSL_CTX *context) {
    SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

/// The server name a client sends (SNI).
static inline int baton_tls_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
