// Streams on the control socket (ledger follow, monitor): pushed responses
// reach the client, the idle timeout spares a stream that waits for news
// (keep-alives instead), and a client that goes away frees its connection.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "kda/daemon/control_client.h"
#include "kda/daemon/control_server.h"
#include "control_rig.h"

namespace kda::daemon {
namespace {

using namespace std::chrono_literals;

// Keeps each stream it opens; the test pushes through it on the io thread.
class StreamingHandler : public ControlHandler {
 public:
  v1::ControlResponse handle(const v1::ControlRequest&, const ControlPeer&) override {
    v1::ControlResponse r;
    r.set_ok(true);
    r.mutable_status()->set_name("desk");
    return r;
  }
  asio::awaitable<v1::ControlResponse> open_stream(const v1::ControlRequest&, const ControlPeer&,
                                                   std::shared_ptr<ControlStream> stream) override {
    streams.push_back(stream);
    v1::ControlResponse r;
    r.set_ok(true);
    r.mutable_ledger();
    co_return r;
  }
  std::vector<std::weak_ptr<ControlStream>> streams;  // io thread only
};

// The handler's streams, pushed to and counted on the io thread.
class StreamRig : public ControlRig<StreamingHandler> {
 public:
  using ControlRig::ControlRig;
  void push_to_all(const std::string& device) {
    on_io([&] {
      for (auto& weak : handler.streams)
        if (auto s = weak.lock()) {
          v1::ControlResponse r;
          r.set_ok(true);
          r.mutable_ledger()->add_entries()->set_device(device);
          s->push(std::move(r));
        }
      return 0;
    });
  }
  std::size_t open_streams() {
    return on_io([&] {
      std::size_t n = 0;
      for (auto& weak : handler.streams)
        if (auto s = weak.lock(); s && !s->closed()) ++n;
      return n;
    });
  }
};

v1::ControlRequest follow_request() {
  v1::ControlRequest r;
  r.mutable_ledger()->set_follow(true);
  return r;
}

bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(ControlStream, PushedResponsesFollowTheFirstAndIdleTimeoutSparesTheStream) {
  StreamRig rig({.idle_timeout = 100ms, .stream_keepalive = 50ms});
  auto client = ControlClient::connect(rig.server->path(), 2s);
  ASSERT_TRUE(client);
  auto first = client->call(follow_request());
  ASSERT_TRUE(first && first->ok() && first->has_ledger());
  // Five idle timeouts of waiting: keep-alives (ok, no payload) arrive, the
  // connection stays.
  std::this_thread::sleep_for(500ms);
  rig.push_to_all("after the wait");
  for (;;) {
    auto next = client->next();
    ASSERT_TRUE(next) << next.error().message();
    ASSERT_TRUE(next->ok());
    if (next->payload_case() == v1::ControlResponse::PAYLOAD_NOT_SET) continue;  // keep-alive
    ASSERT_EQ(next->ledger().entries(0).device(), "after the wait");
    break;
  }
}

TEST(ControlStream, AClientThatGoesAwayFreesItsConnectionAndStream) {
  StreamRig rig({.connections_per_user = 1});
  {
    auto client = ControlClient::connect(rig.server->path(), 2s);
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->call(follow_request()));
    EXPECT_EQ(rig.open_streams(), 1u);
  }  // closed, as when kdactl gets Ctrl-C
  EXPECT_TRUE(eventually([&] { return rig.open_streams() == 0; }));
  EXPECT_TRUE(eventually([&] { return rig.on_io([&] { return rig.server->open_connections(); }) == 0; }));
  rig.push_to_all("nobody listens");  // dropped, no harm
  auto again = ControlClient::connect(rig.server->path(), 2s);
  ASSERT_TRUE(again);
  v1::ControlRequest status_request;
  status_request.mutable_status();
  auto answered = again->call(status_request);
  ASSERT_TRUE(answered);
  EXPECT_TRUE(answered->ok()) << answered->error();
}

}  // namespace
}  // namespace kda::daemon
