#include "tls13_baseline.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kda::bench {
namespace {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Fn(p); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509_free>>;

// Drains the OpenSSL error queue so the next failure reports only its own errors.
[[noreturn]] void fail(const std::string& what) {
  std::string msg = "tls13_baseline: " + what;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    msg += "; ";
    msg += buf;
  }
  throw std::runtime_error(msg);
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

// Treats WANT_READ/WANT_WRITE as "no progress yet"; anything else is fatal.
bool retryable(SSL* ssl, int ret, const char* what) {
  int err = SSL_get_error(ssl, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
  fail(std::string(what) + " failed (SSL_get_error=" + std::to_string(err) + ")");
}

struct Contexts {
  KeyPtr key;
  CertPtr cert;
  CtxPtr server;
  CtxPtr client;
};

CertPtr make_self_signed(EVP_PKEY* key) {
  CertPtr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, X509_VERSION_3) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1, "set serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) != nullptr, "notAfter");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("kda-bench"), -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt");
  check(X509_set_issuer_name(x, name) == 1, "X509_set_issuer_name");
  check(X509_set_pubkey(x, key) == 1, "X509_set_pubkey");
  // Ed25519 is a pure signature scheme: the digest must be NULL.
  check(X509_sign(x, key, nullptr) > 0, "X509_sign");
  return cert;
}

// Settings shared by both sides: TLS 1.3 only, X25519 only, ChaCha20 first, no session reuse of any kind.
void configure_common(SSL_CTX* ctx) {
  check(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1, "set_min_proto_version");
  check(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1, "set_max_proto_version");
  check(SSL_CTX_set1_groups_list(ctx, "X25519") == 1, "set1_groups_list");
  // The default TLS 1.3 suites, reordered so ChaCha20-Poly1305 wins.
  check(SSL_CTX_set_ciphersuites(
            ctx, "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256") == 1,
        "set_ciphersuites");
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

Contexts make_contexts() {
  Contexts c;
  c.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  check(c.key != nullptr, "Ed25519 keygen");
  c.cert = make_self_signed(c.key.get());

  c.server.reset(SSL_CTX_new(TLS_server_method()));
  check(c.server != nullptr, "SSL_CTX_new(server)");
  configure_common(c.server.get());
  check(SSL_CTX_set_num_tickets(c.server.get(), 0) == 1, "set_num_tickets");
  check(SSL_CTX_use_certificate(c.server.get(), c.cert.get()) == 1, "use_certificate");
  check(SSL_CTX_use_PrivateKey(c.server.get(), c.key.get()) == 1, "use_PrivateKey");
  check(SSL_CTX_check_private_key(c.server.get()) == 1, "check_private_key");

  c.client.reset(SSL_CTX_new(TLS_client_method()));
  check(c.client != nullptr, "SSL_CTX_new(client)");
  configure_common(c.client.get());
  SSL_CTX_set_verify(c.client.get(), SSL_VERIFY_PEER, nullptr);
  // X509_STORE_add_cert takes its own reference.
  check(X509_STORE_add_cert(SSL_CTX_get_cert_store(c.client.get()), c.cert.get()) == 1,
        "X509_STORE_add_cert");
  return c;
}

struct Buffers {
  std::vector<unsigned char> send;
  std::vector<unsigned char> recv;
};

// Bound on pump rounds without progress; a healthy exchange never gets close.
constexpr int kMaxIdleRounds = 8;

// One full connection. Returns the bytes that crossed the pair; fills `info` if non-null.
std::uint64_t run_once(const Contexts& ctx, Buffers& bufs, Tls13Negotiated* info) {
  SslPtr client(SSL_new(ctx.client.get()));
  SslPtr server(SSL_new(ctx.server.get()));
  check(client && server, "SSL_new");
  BIO* cbio = nullptr;
  BIO* sbio = nullptr;
  check(BIO_new_bio_pair(&cbio, 0, &sbio, 0) == 1, "BIO_new_bio_pair");
  // Same BIO for read and write: each SSL consumes exactly one reference.
  SSL_set_bio(client.get(), cbio, cbio);
  SSL_set_bio(server.get(), sbio, sbio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());

  auto wire = [&] { return BIO_number_written(cbio) + BIO_number_written(sbio); };

  bool c_done = false, s_done = false;
  int idle = 0;
  while (!(c_done && s_done)) {
    std::uint64_t before = wire();
    if (!c_done) {
      int r = SSL_do_handshake(client.get());
      if (r == 1) c_done = true;
      else retryable(client.get(), r, "client handshake");
    }
    if (!s_done) {
      int r = SSL_do_handshake(server.get());
      if (r == 1) s_done = true;
      else retryable(server.get(), r, "server handshake");
    }
    idle = wire() == before ? idle + 1 : 0;
    if (idle > kMaxIdleRounds) fail("handshake stalled");
  }

  const std::size_t total = bufs.send.size();
  std::size_t sent = 0, received = 0;
  idle = 0;
  while (received < total) {
    std::uint64_t before = wire();
    std::size_t got_before = received;
    if (sent < total) {
      // On WANT_WRITE, the retry passes the same (ptr, len), as OpenSSL requires.
      int w = SSL_write(server.get(), bufs.send.data() + sent, static_cast<int>(total - sent));
      if (w > 0) sent += static_cast<std::size_t>(w);
      else retryable(server.get(), w, "SSL_write");
    }
    int r = SSL_read(client.get(), bufs.recv.data(), static_cast<int>(bufs.recv.size()));
    if (r > 0) received += static_cast<std::size_t>(r);
    else retryable(client.get(), r, "SSL_read");
    idle = (wire() == before && received == got_before) ? idle + 1 : 0;
    if (idle > kMaxIdleRounds) fail("payload transfer stalled");
  }

  if (info) {
    SSL* c = client.get();
    info->version = SSL_get_version(c);
    info->group = OBJ_nid2sn(SSL_get_negotiated_group(c));
    info->cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(c));
    X509* peer = SSL_get0_peer_certificate(c);
    info->peer_key_type = peer ? EVP_PKEY_get0_type_name(X509_get0_pubkey(peer)) : "(none)";
    info->verify_result = SSL_get_verify_result(c);
    info->session_reused = SSL_session_reused(c) == 1;
  }
  return wire();
}

Buffers make_buffers(std::size_t payload_size) {
  Buffers b;
  b.send.assign(payload_size, 0xA5);
  // One max-size TLS record per SSL_read; the contents are discarded.
  b.recv.resize(16384);
  return b;
}

}  // namespace

Tls13Result run_tls13_baseline(std::size_t payload_size, std::chrono::milliseconds duration) {
  if (payload_size > static_cast<std::size_t>(INT32_MAX)) fail("payload_size too large");
  ERR_clear_error();
  Contexts ctx = make_contexts();
  Buffers bufs = make_buffers(payload_size);

  Tls13Result result;
  // Untimed warm-up connection; it also yields the per-handshake wire size.
  result.wire_bytes = run_once(ctx, bufs, nullptr);

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto now = start;
  do {
    run_once(ctx, bufs, nullptr);
    ++result.iterations;
    now = Clock::now();
  } while (now - start < duration);

  const double secs = std::chrono::duration<double>(now - start).count();
  result.handshakes_per_s = static_cast<double>(result.iterations) / secs;
  return result;
}

Tls13Negotiated probe_tls13_baseline(std::size_t payload_size) {
  if (payload_size > static_cast<std::size_t>(INT32_MAX)) fail("payload_size too large");
  ERR_clear_error();
  Contexts ctx = make_contexts();
  Buffers bufs = make_buffers(payload_size);
  Tls13Negotiated info;
  run_once(ctx, bufs, &info);
  return info;
}

}  // namespace kda::bench
