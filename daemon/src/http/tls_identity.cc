#include "http/tls_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/asio/ssl/context.hpp>

#include "kda/core/asio.h"
#include "kda/daemon/errors.h"

namespace kda::http {

namespace ssl = asio::ssl;

namespace {

using daemon::ConfigErrc;

constexpr int kValidDays = 10 * 365;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using CertPtr = std::unique_ptr<X509, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;

// OpenSSL's reason for the last failure (its queue emptied), for a detail.
std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    reason = text.data();  // the last one is the closest to the call
  }
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

tl::unexpected<Error> os_failure(int err, const std::string& what) {
  return fail(std::error_code(err, std::generic_category()), what + ": " + std::strerror(err));
}

Result<std::string> read_text(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ConfigErrc::unreadable, std::string("cannot read the ") + what + " " + path + ": " +
                                                   std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string fingerprint_of(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (X509_digest(cert, EVP_sha256(), md.data(), &size) != 1) return "";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    if (i) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

class Identity final : public TlsIdentity {
 public:
  Identity(std::string certificate_file, std::string fingerprint, bool made_now)
      : context_(ssl::context::tls_server),
        certificate_file_(std::move(certificate_file)),
        fingerprint_(std::move(fingerprint)),
        made_now_(made_now) {}
  ssl::context& context() override { return context_; }
  std::string certificate_file() const override { return certificate_file_; }
  std::string fingerprint_sha256() const override { return fingerprint_; }
  bool made_now() const override { return made_now_; }

 private:
  ssl::context context_;
  std::string certificate_file_;
  std::string fingerprint_;
  bool made_now_;
};

// TLS 1.3 only: no older protocol, no compression, no renegotiation (1.3
// has none; the option also covers a build that would allow 1.2).
Result<void> configure(ssl::context& context, const std::string& chain_pem, const std::string& key_pem,
                       const std::string& certificate, const std::string& key) {
  SSL_CTX* native = context.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1)
    return fail(Errc::internal_error, "this OpenSSL cannot restrict TLS to 1.3: " + openssl_reason());
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  context.use_certificate_chain(asio::buffer(chain_pem), ec);
  if (ec) return fail(ConfigErrc::bad_value, "the certificate " + certificate + " is not usable: " + ec.message());
  context.use_private_key(asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) return fail(ConfigErrc::bad_value, "the key " + key + " is not usable: " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1)
    return fail(ConfigErrc::bad_value, "the key " + key + " does not belong to the certificate " + certificate);
  return {};
}

// A PEM pair already read: parsed, checked to match, and made a context.
Result<std::shared_ptr<TlsIdentity>> identity_from(const std::string& chain_pem, const std::string& key_pem,
                                                   const std::string& certificate, const std::string& key,
                                                   bool made_now) {
  BioPtr cert_bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
  CertPtr cert(cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return fail(ConfigErrc::bad_value, "the certificate " + certificate + " is not a PEM certificate: " +
                                                    openssl_reason());
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  KeyPtr pkey(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) return fail(ConfigErrc::bad_value, "the key " + key + " is not a PEM private key: " + openssl_reason());
  if (X509_check_private_key(cert.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return fail(ConfigErrc::bad_value, "the key " + key + " does not belong to the certificate " + certificate);
  }
  auto identity = std::make_shared<Identity>(certificate, fingerprint_of(cert.get()), made_now);
  if (auto configured = configure(identity->context(), chain_pem, key_pem, certificate, key); !configured)
    return tl::unexpected(std::move(configured.error()));
  return identity;
}

bool dns_name(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (const char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  return true;
}

// localhost, 127.0.0.1 and the listen host (an address or a name), built
// as values rather than parsed from a config string, so a host cannot add
// names of its own. A wildcard host (0.0.0.0, ::) names nothing.
bool add_subject_alt_names(X509* cert, const std::string& host) {
  std::unique_ptr<GENERAL_NAMES, Free> names(sk_GENERAL_NAME_new_null());
  const auto add = [&](int type, ASN1_STRING* value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (!name || !value) {
      GENERAL_NAME_free(name);
      ASN1_STRING_free(value);
      return false;
    }
    GENERAL_NAME_set0_value(name, type, value);
    if (sk_GENERAL_NAME_push(names.get(), name) > 0) return true;
    GENERAL_NAME_free(name);
    return false;
  };
  const auto add_dns = [&](const std::string& dns) {
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    if (value && ASN1_STRING_set(value, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_STRING_free(value);
      value = nullptr;
    }
    return add(GEN_DNS, value);
  };
  if (!names || !add_dns("localhost") || !add(GEN_IPADD, a2i_IPADDRESS("127.0.0.1"))) return false;
  const bool wildcard = host.empty() || host == "0.0.0.0" || host == "::" || host == "localhost" ||
                        host == "127.0.0.1";
  if (!wildcard) {
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str())) {
      if (!add(GEN_IPADD, ip)) return false;
    } else {
      ERR_clear_error();
      if (dns_name(host) && !add_dns(host)) return false;
    }
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

// A random positive 127-bit serial, as RFC 5280 asks of a CA (and browsers
// of anything that repeats a subject).
bool set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return false;
  bytes[0] &= 0x7f;
  bytes[0] |= 0x40;  // never zero, never short
  std::unique_ptr<BIGNUM, Free> bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

Result<CertPtr> make_certificate(EVP_PKEY* key, const std::string& name, const std::string& host) {
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 || !set_random_serial(cert.get()) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), kValidDays, 0, nullptr) ||
      X509_set_pubkey(cert.get(), key) != 1)
    return fail(Errc::internal_error, "cannot make a certificate: " + openssl_reason());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(name.c_str());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), subject) != 1 ||
      !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), NID_subject_key_identifier, "hash") ||
      !add_subject_alt_names(cert.get(), host) || X509_sign(cert.get(), key, EVP_sha256()) <= 0)
    return fail(Errc::internal_error, "cannot make a certificate: " + openssl_reason());
  return cert;
}

template <typename Write>
Result<std::string> to_pem(Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return fail(Errc::internal_error, "cannot write PEM: " + openssl_reason());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Writes `text` to path.new (O_EXCL, `mode`) and renames it over `path`: a
// crash leaves the old file or none, never half a key.
Result<void> write_new(const std::string& path, const std::string& text, mode_t mode) {
  const std::string temp = path + ".new";
  if (::unlink(temp.c_str()) != 0 && errno != ENOENT) return os_failure(errno, "cannot remove " + temp);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return os_failure(errno, "cannot create " + temp);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return os_failure(err, "cannot write " + temp);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int why = synced ? errno : err;
    ::unlink(temp.c_str());
    return os_failure(why, "cannot write " + path);
  }
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

Result<std::shared_ptr<TlsIdentity>> TlsIdentity::load(const std::string& certificate, const std::string& key) {
  auto chain_pem = read_text(certificate, "certificate");
  if (!chain_pem) return tl::unexpected(std::move(chain_pem.error()));
  auto key_pem = read_text(key, "key");
  if (!key_pem) return tl::unexpected(std::move(key_pem.error()));
  auto identity = identity_from(*chain_pem, *key_pem, certificate, key, false);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  return identity;
}

Result<std::shared_ptr<TlsIdentity>> TlsIdentity::self_signed(const std::string& dir, const std::string& name,
                                                               const std::string& host) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return os_failure(errno, "cannot make " + dir);
  const std::string certificate = dir + "/api.crt";
  const std::string key = dir + "/api.key";
  // The certificate is written first: a certificate without its key is
  // made again, a key without its certificate is left for a person.
  if (exists(key)) {
    if (!exists(certificate))
      return fail(ConfigErrc::unreadable, "the key " + key + " has no certificate " + certificate +
                                              "; remove the key to make a new pair");
    return load(certificate, key);
  }
  KeyPtr pkey(EVP_EC_gen("P-256"));
  if (!pkey) return fail(Errc::internal_error, "cannot make an EC P-256 key: " + openssl_reason());
  auto cert = make_certificate(pkey.get(), name, host);
  if (!cert) return tl::unexpected(std::move(cert.error()));
  auto cert_pem = to_pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert->get()); });
  auto key_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!cert_pem) return tl::unexpected(std::move(cert_pem.error()));
  if (!key_pem) return tl::unexpected(std::move(key_pem.error()));
  Result<void> written = write_new(certificate, *cert_pem, 0644);
  if (written) written = write_new(key, *key_pem, 0600);
  auto identity = written ? identity_from(*cert_pem, *key_pem, certificate, key, true)
                          : Result<std::shared_ptr<TlsIdentity>>(tl::unexpected(std::move(written.error())));
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  return identity;
}

}  // namespace kda::http
