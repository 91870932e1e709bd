#include "kda/core/thread_check.h"

#include <gtest/gtest.h>

#include <thread>

#include "kda/core/loopback.h"
#include "kda/core/session.h"

namespace kda {
namespace {

TEST(ThreadCheck, RunningOnMeansInsideTheExecutorsRun) {
  asio::io_context io;
  const asio::any_io_executor plain = io.get_executor();
  const asio::any_io_executor strand = asio::make_strand(plain);  // as a TCP link's
  asio::any_io_executor tracked = asio::prefer(plain, asio::execution::outstanding_work.tracked);
  EXPECT_FALSE(running_on(plain));  // nobody runs io yet
  bool inside_plain = false, inside_strand = false, inside_tracked = false, other_thread = true;
  asio::post(plain, [&] {
    inside_plain = running_on(plain);
    inside_tracked = running_on(tracked);
    tracked = {};  // its work would keep run() going
    std::thread([&] { other_thread = running_on(plain); }).join();
  });
  asio::post(strand, [&] { inside_strand = running_on(strand); });
  io.run();
  EXPECT_TRUE(inside_plain);
  EXPECT_TRUE(inside_strand);
  EXPECT_TRUE(inside_tracked);
  EXPECT_FALSE(other_thread);
  // Another io_context's thread is not this one's.
  asio::io_context other;
  bool on_other = true;
  asio::post(other, [&] { on_other = running_on(plain); });
  other.run();
  EXPECT_FALSE(on_other);
  EXPECT_TRUE(running_on(asio::any_io_executor{}));  // nothing to check
}

TEST(ThreadCheckDeathTest, ABrokenRuleAbortsAndSaysWhere) {
  EXPECT_DEATH(thread_rule_broken("called off executor()", "session.cc", 42),
               "thread rule broken at session.cc:42: called off executor\\(\\)");
}

// A backend that breaks EnrollmentBackend's rule: done() from a thread of
// its own. It joins that thread inside authorize(), so the session's thread
// is blocked meanwhile and the test itself has no data race.
class OtherThreadBackend : public EnrollmentBackend {
 public:
  v1::ProfileOffer offer(const SessionInfo&) override {
    v1::ProfileOffer o;
    o.add_profiles()->set_name("Staging default");
    return o;
  }
  void authorize(const SessionInfo&, const v1::EnrollRequest&, std::function<void(AuthorizationDecision)> done) override {
    std::thread([&] { done(fail(Errc::rejected, "decided elsewhere")); }).join();
  }
  asio::awaitable<Result<void>> on_transfer_started(const SessionInfo&) override { co_return Result<void>{}; }
  void on_finished(const SessionReport&) override {}
};

int broken_rules = 0;
std::string last_rule;
void count_broken_rule(const char* rule, const char*, int) {
  ++broken_rules;
  last_rule = rule;
}

TEST(ThreadCheck, BackendCallingDoneFromAnotherThreadIsCaught) {
  if (!kThreadChecks) GTEST_SKIP() << "thread rules are checked in debug and sanitizer builds only";
  asio::io_context io;
  LoopbackHub hub(io.get_executor());
  auto listener = std::move(*hub.listen("desk"));
  auto target_end = std::move(*hub.connect_now("desk"));
  LinkPtr primary_end;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { primary_end = std::move(*co_await listener->accept()); },
                 asio::detached);
  io.run();

  OtherThreadBackend backend;
  PrimaryOptions popts{.static_key = *noise::Keypair::generate()};
  TargetOptions topts;
  topts.device.set_serial("R58M12345AB");
  auto primary = PrimarySession::create(std::move(primary_end), std::move(popts), backend, "s1");
  auto target = TargetSession::create(std::move(target_end), std::move(topts));
  SessionReport refused;
  const auto previous = set_thread_rule_handler(count_broken_rule);
  broken_rules = 0;
  asio::co_spawn(primary->executor(), primary->run(), asio::detached);
  asio::co_spawn(target->executor(), target->run(), [&](std::exception_ptr, SessionReport r) { refused = r; });
  io.restart();
  io.run();
  set_thread_rule_handler(previous);
  EXPECT_EQ(broken_rules, 1);
  EXPECT_EQ(last_rule, "called off wait->executor");
  EXPECT_EQ(refused.error, Errc::rejected);  // the handler let it through: the session went on
}

}  // namespace
}  // namespace kda
