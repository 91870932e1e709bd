// A peer's frames with invalid UTF-8 make protobuf complain: kdad writes that
// through its own log, rate-limited, not as raw "[libprotobuf ...]" lines on
// stderr, one per frame (label daemon).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <regex>
#include <thread>
#include <vector>

#include "child_process.h"
#include "kda/core/bytes.h"
#include "kda/core/tcp_transport.h"

namespace kda {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

// A clear Frame{hello{capabilities: "\xff\xfe"}} as a link carries it: a
// 4-byte length, then field 1 (hello) holding field 5 (a capability) that is
// not UTF-8.
const Bytes kInvalidUtf8Frame = {0, 0, 0, 6, 0x0a, 0x04, 0x2a, 0x02, 0xff, 0xfe};

TEST(KdadProtobufLog, InvalidUtf8FramesLeaveNoLibprotobufLines) {
  test::KdadProcess kdad({.config = "[transports.tcp]\nlisten = \"127.0.0.1:0\"\n"});
  ASSERT_TRUE(kdad.start()) << kdad.log();
  std::smatch m;
  const std::string status = kdad.ctl("--json status").out;
  ASSERT_TRUE(std::regex_search(status, m, std::regex("\"address\":\\s*\"127.0.0.1:([0-9]+)\""))) << status;
  const auto port = static_cast<unsigned short>(std::stoi(m[1].str()));

  asio::io_context io;
  std::vector<tcp::socket> peers;
  for (int i = 0; i < 5; ++i) {
    auto& s = peers.emplace_back(io);
    s.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    asio::write(s, asio::buffer(kInvalidUtf8Frame));
    const timeval five_seconds{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
  }
  // kdad answers each with an Error and closes: wait for that.
  for (auto& s : peers) {
    boost::system::error_code ec;
    std::array<char, 256> buf;
    while (!ec) s.read_some(asio::buffer(buf), ec);
  }
  ASSERT_TRUE(test::wait_until([&] { return kdad.log().find("protobuf: ") != std::string::npos; }, 5s))
      << kdad.log();
  EXPECT_EQ(kdad.stop(), 0);
  const std::string log = kdad.log();
  EXPECT_EQ(log.find("[libprotobuf"), std::string::npos) << log;
  // Five complaints within the interval: one line.
  EXPECT_EQ(log.find("protobuf: "), log.rfind("protobuf: ")) << log;
  EXPECT_NE(log.find("invalid UTF-8"), std::string::npos) << log;
}

}  // namespace
}  // namespace kda
