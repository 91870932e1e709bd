// The HTTP API's certificate: a self-signed pair made once (key 0600) and
// loaded after, and a configured pair checked to belong together.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "http/tls_identity.h"
#include "kda/daemon/errors.h"
#include "support/temp_dir.h"

namespace kda::http {
namespace tls_identity_test {

struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Cert = std::unique_ptr<X509, CertFree>;

Cert read_certificate(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (!file) return nullptr;
  Cert cert(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  return cert;
}

std::string common_name(X509* cert) {
  char text[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, text, sizeof text);
  return text;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(TlsIdentity, SelfSignedMakesAPrivateKeyOnceAndLoadsItAfter) {
  test::TempDir tmp("kda-tls");
  const std::string dir = tmp.file("http");
  auto first = TlsIdentity::self_signed(dir, "kdad desk", "192.0.2.7");
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE((*first)->made_now());
  EXPECT_EQ((*first)->certificate_file(), dir + "/api.crt");
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir + "/api.key"), 0600u);
  const std::string fingerprint = (*first)->fingerprint_sha256();
  EXPECT_TRUE(std::regex_match(fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}"))) << fingerprint;

  const Cert cert = read_certificate(dir + "/api.crt");
  ASSERT_TRUE(cert);
  EXPECT_EQ(common_name(cert.get()), "kdad desk");
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.0.2.7", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "desk.example", 0, 0, nullptr), 1);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
  EXPECT_GE(days, 3640);
  EXPECT_LE(days, 3660);

  const ino_t key_inode = inode_of(dir + "/api.key");
  auto second = TlsIdentity::self_signed(dir, "kdad desk", "192.0.2.7");
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_FALSE((*second)->made_now());
  EXPECT_EQ((*second)->fingerprint_sha256(), fingerprint);
  EXPECT_EQ(inode_of(dir + "/api.key"), key_inode);
  EXPECT_EQ(mode_of(dir + "/api.key"), 0600u);
}

TEST(TlsIdentity, SelfSignedNamesTheListenHostAndNoWildcard) {
  test::TempDir tmp("kda-tls");
  auto named = TlsIdentity::self_signed(tmp.file("named"), "desk", "desk.example");
  ASSERT_TRUE(named) << named.error().message();
  const Cert cert = read_certificate(tmp.file("named/api.crt"));
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_host(cert.get(), "desk.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);

  // A host that is no DNS name adds nothing (it cannot smuggle names in).
  auto odd = TlsIdentity::self_signed(tmp.file("odd"), "desk", "a,DNS:evil.example");
  ASSERT_TRUE(odd) << odd.error().message();
  const Cert odd_cert = read_certificate(tmp.file("odd/api.crt"));
  ASSERT_TRUE(odd_cert);
  EXPECT_NE(X509_check_host(odd_cert.get(), "evil.example", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(odd_cert.get(), "0.0.0.0", 0), 1);
  auto wildcard = TlsIdentity::self_signed(tmp.file("any"), "desk", "0.0.0.0");
  ASSERT_TRUE(wildcard) << wildcard.error().message();
  const Cert any_cert = read_certificate(tmp.file("any/api.crt"));
  ASSERT_TRUE(any_cert);
  EXPECT_NE(X509_check_ip_asc(any_cert.get(), "0.0.0.0", 0), 1);
  EXPECT_NE((*named)->fingerprint_sha256(), (*odd)->fingerprint_sha256());
}

TEST(TlsIdentity, LoadChecksThatTheKeyBelongsToTheCertificate) {
  test::TempDir tmp("kda-tls");
  auto a = TlsIdentity::self_signed(tmp.file("a"), "a", "127.0.0.1");
  auto b = TlsIdentity::self_signed(tmp.file("b"), "b", "127.0.0.1");
  ASSERT_TRUE(a && b);
  auto same = TlsIdentity::load(tmp.file("a/api.crt"), tmp.file("a/api.key"));
  ASSERT_TRUE(same) << same.error().message();
  EXPECT_EQ((*same)->fingerprint_sha256(), (*a)->fingerprint_sha256());
  EXPECT_FALSE((*same)->made_now());

  auto mismatched = TlsIdentity::load(tmp.file("a/api.crt"), tmp.file("b/api.key"));
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error(), daemon::ConfigErrc::bad_value);
  EXPECT_NE(mismatched.error().message().find(tmp.file("b/api.key")), std::string::npos)
      << mismatched.error().message();

  auto missing = TlsIdentity::load(tmp.file("none.crt"), tmp.file("a/api.key"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), daemon::ConfigErrc::unreadable);
  EXPECT_NE(missing.error().message().find(tmp.file("none.crt")), std::string::npos);

  auto key_as_cert = TlsIdentity::load(tmp.file("a/api.key"), tmp.file("a/api.key"));
  ASSERT_FALSE(key_as_cert);
  EXPECT_NE(key_as_cert.error().message().find("is not a PEM certificate"), std::string::npos)
      << key_as_cert.error().message();
}

TEST(TlsIdentity, AKeyWithoutItsCertificateIsLeftForAPerson) {
  test::TempDir tmp("kda-tls");
  const std::string dir = tmp.file("http");
  auto first = TlsIdentity::self_signed(dir, "desk", "127.0.0.1");
  ASSERT_TRUE(first) << first.error().message();
  // A certificate without its key (a crash between the two writes) is made again.
  ASSERT_EQ(std::remove((dir + "/api.key").c_str()), 0);
  auto remade = TlsIdentity::self_signed(dir, "desk", "127.0.0.1");
  ASSERT_TRUE(remade) << remade.error().message();
  EXPECT_TRUE((*remade)->made_now());
  EXPECT_NE((*remade)->fingerprint_sha256(), (*first)->fingerprint_sha256());
  // A key is never replaced: without its certificate, a person decides.
  ASSERT_EQ(std::remove((dir + "/api.crt").c_str()), 0);
  auto again = TlsIdentity::self_signed(dir, "desk", "127.0.0.1");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find(dir + "/api.key"), std::string::npos) << again.error().message();
}

}  // namespace tls_identity_test
}  // namespace kda::http
