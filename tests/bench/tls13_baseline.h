// TLS 1.3 (OpenSSL) handshake baseline, for comparison with the kda handshake benchmark.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kda::bench {

struct Tls13Result {
  double handshakes_per_s = 0;   // full handshakes + payload transfer per second
  std::uint64_t wire_bytes = 0;  // bytes crossing the BIO pair per handshake (both directions), for one run
  std::uint64_t iterations = 0;
};

// Runs full TLS 1.3 handshakes (fresh SSL objects each time, no session resumption, no tickets) between an
// in-process client and server over an in-memory BIO pair, for at least `duration`. X25519 key share,
// self-signed Ed25519 server certificate verified by the client, ChaCha20-Poly1305 preferred. After each
// handshake the server sends `payload_size` bytes and the client reads them all. Throws std::runtime_error
// with the OpenSSL error string on failure.
Tls13Result run_tls13_baseline(std::size_t payload_size, std::chrono::milliseconds duration);

// What one handshake with the same configuration actually negotiated, for sanity checks in tools/tests.
struct Tls13Negotiated {
  std::string version;        // e.g. "TLSv1.3"
  std::string group;          // e.g. "X25519"
  std::string cipher;         // e.g. "TLS_CHACHA20_POLY1305_SHA256"
  std::string peer_key_type;  // key type of the server certificate seen by the client, e.g. "ED25519"
  long verify_result = -1;    // client-side X509 verify result (0 == X509_V_OK)
  bool session_reused = false;
};
Tls13Negotiated probe_tls13_baseline(std::size_t payload_size);

}  // namespace kda::bench
