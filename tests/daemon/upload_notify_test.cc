// The upload mail (daemon/src/kdad/upload_notify.h): what it says, what it
// refuses to put in a header, and how sendmail runs, against the stand-in
// tests/support/fake-sendmail.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "kdad/upload_notify.h"

namespace kda::daemon {
namespace {

constexpr std::int64_t kNow = 1'796'590'013'000;  // Sun, 06 Dec 2026 20:46:53 UTC

const std::string kFakeSendmail = std::string(KDA_SOURCE_DIR) + "/tests/support/fake-sendmail";

UploadMailSettings settings() {
  UploadMailSettings s;
  s.recipients = {"it@acme.example.com", "ops@acme.example.com"};
  s.from = "kda desk <kdad@msp.example.com>";
  return s;
}

PendingUpload upload() {
  return {.customer_id = "4820193745", .company = "Acme, Inc.", .reseller_id = "RS-2291",
          .file_name = "acme-dec.csv", .devices = 3};
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string headers_of(const std::string& message) { return message.substr(0, message.find("\n\n") + 1); }

TEST(UploadMail, TheWholeMessage) {
  const auto m = compose_upload_mail(settings(), upload(), kNow);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(*m,
            "From: kda desk <kdad@msp.example.com>\n"
            "To: it@acme.example.com, ops@acme.example.com\n"
            "Subject: kda: 3 devices from reseller RS-2291 await approval for Acme, Inc.\n"
            "Date: Sun, 06 Dec 2026 20:46:53 +0000\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n"
            "Auto-Submitted: auto-generated\n"
            "\n"
            "Reseller RS-2291 uploaded 3 devices for Acme, Inc. (customer 4820193745) in \"acme-dec.csv\".\n"
            "No desk enrolls them until they are approved.\n"
            "\n"
            "List them:\n"
            "  kdactl devices list --customer 4820193745 --approval pending\n"
            "\n"
            "Approve them (KEYS: the IMEIs or serial numbers the list shows):\n"
            "  kdactl devices approve --customer 4820193745 KEYS...\n"
            "\n"
            "-- \n"
            "kdad sends this mail to the upload notice recipients of its configuration.\n");
}

TEST(UploadMail, OneDeviceOnADirectDeskWithoutFrom) {
  UploadMailSettings s = settings();
  s.from = "";
  PendingUpload u = upload();
  u.customer_id = "";
  u.company = "";
  u.devices = 1;
  const auto m = compose_upload_mail(s, u, kNow);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_TRUE(m->starts_with("To: ")) << *m;  // sendmail writes the From
  EXPECT_NE(m->find("\nSubject: kda: 1 device from reseller RS-2291 awaits approval\n"), std::string::npos) << *m;
  EXPECT_NE(m->find("uploaded 1 device for this desk in"), std::string::npos) << *m;
  EXPECT_NE(m->find("  kdactl devices list --approval pending\n"), std::string::npos) << *m;
  EXPECT_NE(m->find("  kdactl devices approve KEYS...\n"), std::string::npos) << *m;
  EXPECT_EQ(m->find("--customer"), std::string::npos);
}

TEST(UploadMail, LinesEndInLfAndStayShort) {
  UploadMailSettings s = settings();
  s.recipients.clear();
  for (int i = 0; i < 12; ++i) s.recipients.push_back("admin" + std::to_string(i) + "@acme.example.com");
  const auto m = compose_upload_mail(s, upload(), kNow);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->find('\r'), std::string::npos);
  EXPECT_TRUE(m->ends_with("\n"));
  for (const auto& line : split_lines(headers_of(*m))) EXPECT_LE(line.size(), 78u) << line;
  // Every recipient once, in a To header folded over several lines.
  const std::string headers = headers_of(*m);
  for (const auto& r : s.recipients) EXPECT_NE(headers.find(r), std::string::npos) << r;
  EXPECT_NE(headers.find(",\n admin"), std::string::npos) << headers;
}

std::string decode_base64(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n) - std::count(text.begin(), text.end(), '='));
  return out;
}

TEST(UploadMail, ANonAsciiSubjectIsEncodedWordsThatDecodeBack) {
  PendingUpload u = upload();
  u.company = "M\xc3\xbcller Logistik \xe6\x9d\xb1\xe4\xba\xac \xe2\x80\x94 Gro\xc3\x9fhandel und Lagerhaltung GmbH";
  const auto m = compose_upload_mail(settings(), u, kNow);
  ASSERT_TRUE(m) << m.error().message();
  const auto lines = split_lines(headers_of(*m));
  std::string decoded;
  bool in_subject = false;
  for (const auto& line : lines) {
    if (line.starts_with("Subject: ")) in_subject = true;
    else if (!line.starts_with(" ")) in_subject = false;
    if (!in_subject) continue;
    EXPECT_LE(line.size(), 76u) << line;  // RFC 2047's limit for a line with encoded words
    const auto start = line.find("=?UTF-8?B?");
    ASSERT_NE(start, std::string::npos) << line;
    ASSERT_TRUE(line.ends_with("?=")) << line;
    EXPECT_LE(line.size() - start, 75u) << line;  // RFC 2047: an encoded word is at most 75 characters
    decoded += decode_base64(line.substr(start + 10, line.size() - start - 12));
  }
  EXPECT_EQ(decoded, "kda: 3 devices from reseller RS-2291 await approval for " + u.company);
}

TEST(UploadMail, NothingForgesAHeader) {
  const auto refused = [](const UploadMailSettings& s, const PendingUpload& u, std::string_view field) {
    const auto m = compose_upload_mail(s, u, kNow);
    ASSERT_FALSE(m) << field;
    EXPECT_EQ(m.error(), std::make_error_code(std::errc::invalid_argument)) << field;
    EXPECT_TRUE(m.error().detail.starts_with(std::string(field) + ": ")) << m.error().detail;
    EXPECT_EQ(m.error().detail.find('\n'), std::string::npos) << m.error().detail;
  };
  UploadMailSettings s = settings();
  s.recipients = {"it@acme.example.com", "ops@acme.example.com\r\nBcc: spy@evil.example"};
  refused(s, upload(), "recipients");
  s.recipients = {"ops@acme.example.com\nBcc: spy@evil.example"};
  refused(s, upload(), "recipients");
  s.recipients = {"Ops <ops@acme.example.com>"};
  refused(s, upload(), "recipients");
  s.recipients = {};
  refused(s, upload(), "recipients");
  s = settings();
  s.from = "kdad@msp.example.com\nBcc: spy@evil.example";
  refused(s, upload(), "from");
  s.from = "kda \"desk\" <kdad@msp.example.com>";
  refused(s, upload(), "from");
  PendingUpload u = upload();
  u.company = "Acme\r\nBcc: spy@evil.example";
  refused(settings(), u, "company");
  u = upload();
  u.reseller_id = "RS\n1";
  refused(settings(), u, "reseller_id");
  u = upload();
  u.company = "bad \xff utf-8";
  refused(settings(), u, "company");
  // A bare address and a named one are fine.
  s = settings();
  s.from = "kdad@msp.example.com";
  EXPECT_TRUE(compose_upload_mail(s, upload(), kNow));
}

TEST(UploadMail, TheFileNameStaysInTheBodyOnOneLine) {
  PendingUpload u = upload();
  u.file_name = "x.csv\nSubject: urgent\n\nBcc: spy@evil.example";
  const auto m = compose_upload_mail(settings(), u, kNow);
  ASSERT_TRUE(m) << m.error().message();
  const auto lines = split_lines(*m);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const auto& l) { return l.starts_with("Subject:"); }), 1);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const auto& l) { return l.starts_with("Bcc:"); }), 0);
  EXPECT_NE(m->find("in \"x.csv\\x0aSubject: urgent\\x0a\\x0aBcc: spy@evil.exa"), std::string::npos) << *m;
}

// ---- Sending -------------------------------------------------------------------

class Sendmail : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("KDA_FAKE_SENDMAIL_OUT", out_.c_str(), 1);
    ::unsetenv("KDA_FAKE_SENDMAIL_EXIT");
    ::unsetenv("KDA_FAKE_SENDMAIL_SLEEP");
  }
  void TearDown() override {
    for (const char* name : {"KDA_FAKE_SENDMAIL_OUT", "KDA_FAKE_SENDMAIL_EXIT", "KDA_FAKE_SENDMAIL_SLEEP"})
      ::unsetenv(name);
  }
  std::string recorded() const {
    std::ifstream in(out_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  UploadMailSettings fake() const {
    UploadMailSettings s = settings();
    s.sendmail = kFakeSendmail;
    return s;
  }

  test::TempDir dir_{"kda-sendmail"};
  std::string out_ = dir_.file("mail.txt");
};

TEST_F(Sendmail, TheMessageGoesToSendmailOiT) {
  const std::string message = *compose_upload_mail(settings(), upload(), kNow);
  const auto sent = run_sendmail(kFakeSendmail, message, std::chrono::seconds(10));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(recorded(), "--- message\nargv: -oi -t\n" + message + "--- end\n");
}

TEST_F(Sendmail, AFailingSendmailIsOneLine) {
  ::setenv("KDA_FAKE_SENDMAIL_EXIT", "1", 1);
  const auto sent = run_sendmail(kFakeSendmail, "To: it@acme.example.com\n\nhi\n", std::chrono::seconds(10));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), std::make_error_code(std::errc::io_error));
  EXPECT_EQ(sent.error().detail, "sendmail " + kFakeSendmail +
                                     " exited with status 1: fake-sendmail: queue file write error "
                                     "(KDA_FAKE_SENDMAIL_EXIT=1)");
}

TEST_F(Sendmail, AMissingSendmailIsReported) {
  const auto sent = run_sendmail(dir_.file("no-sendmail"), "To: it@acme.example.com\n\nhi\n", std::chrono::seconds(10));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), std::error_code(ENOENT, std::system_category()));
  EXPECT_NE(sent.error().detail.find("no-sendmail: cannot start it: "), std::string::npos) << sent.error().detail;
}

TEST_F(Sendmail, AHungSendmailIsKilledAtTheTimeout) {
  ::setenv("KDA_FAKE_SENDMAIL_SLEEP", "30", 1);
  const auto start = std::chrono::steady_clock::now();
  const auto sent = run_sendmail(kFakeSendmail, "To: it@acme.example.com\n\nhi\n", std::chrono::milliseconds(300));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), std::make_error_code(std::errc::timed_out));
  EXPECT_EQ(sent.error().detail, "sendmail " + kFakeSendmail + " did not finish within 300 ms and was killed");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(Sendmail, TheNotifierSendsOnItsOwnThread) {
  UploadNotifier notifier(fake());
  ASSERT_TRUE(notifier.enabled());
  std::promise<Result<void>> outcome;
  const auto caller = std::this_thread::get_id();
  std::thread::id sender;
  const auto started = notifier.notify(upload(), kNow, [&](Result<void> r) {
    sender = std::this_thread::get_id();
    outcome.set_value(std::move(r));
  });
  ASSERT_TRUE(started) << started.error().message();
  auto done = outcome.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto r = done.get();
  EXPECT_TRUE(r) << r.error().message();
  EXPECT_NE(sender, caller);
  EXPECT_NE(recorded().find("Subject: kda: 3 devices from reseller RS-2291 await approval for Acme, Inc.\n"),
            std::string::npos)
      << recorded();
}

TEST_F(Sendmail, TheNotifierReportsAFailureThroughDone) {
  UploadMailSettings s = fake();
  s.sendmail = dir_.file("no-sendmail");
  UploadNotifier notifier(s);
  std::promise<Result<void>> outcome;
  ASSERT_TRUE(notifier.notify(upload(), kNow, [&](Result<void> r) { outcome.set_value(std::move(r)); }));
  auto done = outcome.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const auto r = done.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::error_code(ENOENT, std::system_category()));
}

TEST_F(Sendmail, AMailThatCannotBeComposedStartsNothing) {
  UploadMailSettings s = fake();
  s.recipients = {"it@acme.example.com\nBcc: spy@evil.example"};
  UploadNotifier notifier(s);
  bool called = false;
  const auto started = notifier.notify(upload(), kNow, [&](Result<void>) { called = true; });
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error(), std::make_error_code(std::errc::invalid_argument));
  EXPECT_FALSE(called);
  EXPECT_FALSE(UploadNotifier(UploadMailSettings{}).enabled());
}

}  // namespace
}  // namespace kda::daemon
