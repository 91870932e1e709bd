// The NFC DEP link through the real libnfc and the PN532 emulator: frames
// across many PDUs, a clean close, the field lost mid-transfer, reader
// glitches, a phone with no reader, a foreign DEP target.
#include <gtest/gtest.h>

#include "kda/core/frame_codec.h"
#include "nfc_fixture.h"

namespace kda::test {
namespace {

using namespace std::chrono_literals;

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
  return b;
}

class DepLinkTest : public ::testing::Test {
 protected:
  asio::io_context io;
  NfcFixture rig{io};

  // Runs `coro` with an overall deadline so a broken link cannot hang the test.
  template <typename T>
  T run(asio::awaitable<T> coro) {
    asio::steady_timer guard(io, 30s);
    guard.async_wait([&](boost::system::error_code ec) {
      if (!ec) io.stop();
    });
    std::optional<T> out;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      out.emplace(co_await std::move(coro));
      guard.cancel();
    }, asio::detached);
    io.restart();
    io.run();
    EXPECT_TRUE(out.has_value()) << "timed out";
    return out ? std::move(*out) : T{};
  }
};

TEST_F(DepLinkTest, FramesCrossManyPdusBothWays) {
  auto pair = rig.connect(io);
  ASSERT_TRUE(pair.target && pair.primary);
  const Bytes big = pattern(5000, 1), small = pattern(3, 9);
  auto got = run([&]() -> asio::awaitable<std::vector<Bytes>> {
    EXPECT_FALSE(co_await pair.primary->write_frame(big));
    EXPECT_FALSE(co_await pair.primary->write_frame(small));
    EXPECT_FALSE(co_await pair.target->write_frame(small));
    std::vector<Bytes> frames;
    for (auto* link : {pair.target.get(), pair.target.get(), pair.primary.get()}) {
      auto f = co_await link->read_frame();
      EXPECT_TRUE(f) << f.error().message();
      frames.push_back(f ? *f : Bytes{});
    }
    co_return frames;
  }());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], big);
  EXPECT_EQ(got[1], small);
  EXPECT_EQ(got[2], small);
  const auto stats = dynamic_cast<nfc::DepLink&>(*pair.primary).stats();
  // 5000 + 3 bytes and two length prefixes, at most 261 payload bytes per PDU.
  EXPECT_GE(stats.data_exchanges, (5000u + 3 + 8) / 261);
  EXPECT_EQ(stats.bytes_sent, 5000u + 3 + 8);
  EXPECT_EQ(pair.primary->kind(), v1::TRANSPORT_NFC);
}

TEST_F(DepLinkTest, CloseReachesThePeerAfterQueuedFrames) {
  auto pair = rig.connect(io);
  ASSERT_TRUE(pair.target && pair.primary);
  auto result = run([&]() -> asio::awaitable<std::pair<Result<Bytes>, Result<Bytes>>> {
    EXPECT_FALSE(co_await pair.target->write_frame(pattern(700, 3)));
    pair.target->close();
    auto first = co_await pair.primary->read_frame();
    auto second = co_await pair.primary->read_frame();
    co_return std::make_pair(std::move(first), std::move(second));
  }());
  ASSERT_TRUE(result.first) << result.first.error().message();
  EXPECT_EQ(*result.first, pattern(700, 3));
  ASSERT_FALSE(result.second);
  EXPECT_EQ(result.second.error(), Errc::link_closed);
}

TEST_F(DepLinkTest, FieldLostMidTransferFailsBothEnds) {
  auto pair = rig.connect(io);
  ASSERT_TRUE(pair.target && pair.primary);
  rig.chips->set_reply_delay(1, 3ms);  // a slow phone: the transfer takes seconds
  asio::steady_timer pull(io, 300ms);
  pull.async_wait([&](boost::system::error_code) { rig.chips->lose_field(); });
  auto ends = run([&]() -> asio::awaitable<std::pair<std::error_code, std::error_code>> {
    auto written = co_await pair.primary->write_frame(pattern(60000, 5));
    auto at_target = co_await pair.target->read_frame();
    auto at_primary = co_await pair.primary->read_frame();
    EXPECT_TRUE(written == std::error_code{} || written == Errc::link_failed) << written.message();
    co_return std::make_pair(at_target ? std::error_code{} : at_target.error().code,
                             at_primary ? std::error_code{} : at_primary.error().code);
  }());
  EXPECT_EQ(ends.first, Errc::link_failed) << ends.first.message();
  EXPECT_EQ(ends.second, Errc::link_failed) << ends.second.message();
}

TEST_F(DepLinkTest, CancelCompletesAWaitingWriteAndItsFrameStillArrives) {
  auto pair = rig.connect(io);
  ASSERT_TRUE(pair.target && pair.primary);
  rig.chips->set_reply_delay(1, 3ms);  // a slow phone: the write waits for the backlog to drain
  const Bytes frame = pattern(20000, 4);
  auto result = run([&]() -> asio::awaitable<std::pair<std::error_code, Result<Bytes>>> {
    asio::post(io, [&] { pair.primary->cancel(); });  // runs once the write waits
    auto written = co_await pair.primary->write_frame(frame);
    auto arrived = co_await pair.target->read_frame();
    co_return std::make_pair(written, std::move(arrived));
  }());
  EXPECT_EQ(result.first, Errc::cancelled) << result.first.message();
  ASSERT_TRUE(result.second) << result.second.error().message();
  EXPECT_EQ(*result.second, frame) << "a cancelled write's frame is still sent whole";
  auto next = run([&]() -> asio::awaitable<Result<Bytes>> {
    EXPECT_FALSE(co_await pair.primary->write_frame(pattern(10, 2)));
    co_return co_await pair.target->read_frame();
  }());
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(*next, pattern(10, 2)) << "the link stays usable after cancel()";
}

TEST_F(DepLinkTest, ReaderGlitchesEndTheLinkCleanly) {
  // A reply with a bad checksum, then a NACKed command: libnfc reports an I/O
  // error, the link fails, and the reader polls again for the next phone.
  for (int glitch = 0; glitch < 2; ++glitch) {
    SCOPED_TRACE(glitch == 0 ? "bad checksum" : "NACK");
    auto pair = rig.connect(io);
    ASSERT_TRUE(pair.target && pair.primary);
    if (glitch == 0) rig.chips->corrupt_replies(0);
    else rig.chips->nack_commands(0);
    auto ended = run([&]() -> asio::awaitable<std::error_code> {
      co_await pair.target->write_frame(pattern(100, 1));
      auto r = co_await pair.primary->read_frame();
      if (r) r = co_await pair.primary->read_frame();  // the glitch may come after the first frame
      co_return r ? std::error_code{} : r.error().code;
    }());
    EXPECT_EQ(ended, Errc::link_failed) << ended.message();
  }
  auto again = rig.connect(io);  // the listener recovered
  EXPECT_TRUE(again.primary && again.target);
}

TEST(NfcConnector, NoReaderFieldFailsConnect) {
  quiet_libnfc_environment();
  asio::io_context io;
  pn532::Pn532Pair chips;
  std::vector<std::string> log;
  auto connector = nfc::NfcConnector::open(io.get_executor(),
                                           {chips.connstring(1), [&](TransportEvent, std::string_view l) {
                                              log.emplace_back(l);
                                            }},
                                           1500ms);
  ASSERT_TRUE(connector) << connector.error().message();
  auto link = run_coro(io, (*connector)->connect(""));
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error(), Errc::connect_failed);
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("no reader's field"), std::string::npos) << log.back();
}

// Shutdown wakes the device thread out of a waiting libnfc call
// (nfc_abort_command) and ends the waiting coroutines with `shutdown`.
TEST(NfcShutdown, ConnectorDestroyedWhileWaitingForTheField) {
  quiet_libnfc_environment();
  asio::io_context io;
  pn532::Pn532Pair chips;
  auto connector = nfc::NfcConnector::open(io.get_executor(), {chips.connstring(1), {}}, 20s);
  ASSERT_TRUE(connector) << connector.error().message();
  std::optional<Result<LinkPtr>> link;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { link.emplace(co_await (*connector)->connect("")); },
                 asio::detached);
  asio::steady_timer later(io, 300ms);
  later.async_wait([&](boost::system::error_code) { connector->reset(); });
  io.run();
  ASSERT_TRUE(link.has_value());
  ASSERT_FALSE(*link);
  EXPECT_EQ(link->error(), Errc::shutdown);
}

TEST(NfcShutdown, ListenerClosedWhilePolling) {
  quiet_libnfc_environment();
  asio::io_context io;
  pn532::Pn532Pair chips;
  auto listener = nfc::NfcListener::open(io.get_executor(), {chips.connstring(0), {}});
  ASSERT_TRUE(listener) << listener.error().message();
  std::optional<Result<LinkPtr>> link;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { link.emplace(co_await (*listener)->accept()); },
                 asio::detached);
  asio::steady_timer later(io, 300ms);
  later.async_wait([&](boost::system::error_code) { (*listener)->close(); });
  io.run();
  ASSERT_TRUE(link.has_value());
  ASSERT_FALSE(*link);
  EXPECT_EQ(link->error(), Errc::shutdown);
  listener->reset();  // joins the device thread
}

TEST(NfcDevice, MissingReaderIsAClearError) {
  quiet_libnfc_environment();
  asio::io_context io;
  auto listener = nfc::NfcListener::open(io.get_executor(), {"pn532_uart:/dev/kda-no-such-reader", {}});
  ASSERT_FALSE(listener);
  EXPECT_NE(listener.error().message().find("pn532_uart:/dev/kda-no-such-reader"), std::string::npos)
      << listener.error().message();
}

}  // namespace
}  // namespace kda::test
