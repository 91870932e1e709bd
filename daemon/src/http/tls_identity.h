// The HTTP API's TLS certificate: the configured PEM certificate and key,
// or, when none is configured, a self-signed one made at first start and
// kept in the state dir (key 0600) so clients can pin it across restarts.
// Its SHA-256 fingerprint is what `kdactl status` and the log show.
#pragma once

#include <memory>
#include <string>

#include "kda/core/error.h"

namespace boost::asio::ssl {
class context;
}

namespace kda::http {

class TlsIdentity {
 public:
  // The configured pair (both paths set), checked to match.
  static Result<std::shared_ptr<TlsIdentity>> load(const std::string& certificate, const std::string& key);
  // dir/api.crt and dir/api.key, made (EC P-256, 10 years, CN = `name`,
  // subjectAltName localhost and the listen host) when absent.
  static Result<std::shared_ptr<TlsIdentity>> self_signed(const std::string& dir, const std::string& name,
                                                           const std::string& host);
  // A server context that speaks TLS 1.3 only, with this identity.
  virtual boost::asio::ssl::context& context() = 0;
  virtual std::string certificate_file() const = 0;
  virtual std::string fingerprint_sha256() const = 0;  // "AB:CD:..." as openssl x509 -fingerprint prints
  virtual bool made_now() const = 0;                    // self_signed() created it at this start
  virtual ~TlsIdentity() = default;
};

}  // namespace kda::http
