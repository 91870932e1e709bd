#include "harness.h"

namespace kda::test {

v1::EnrollmentPackage make_package(std::size_t approximate_size, const std::string& id) {
  v1::EnrollmentPackage p;
  p.set_package_id(id);
  p.set_issued_at(1'790'000'000);
  auto* profile = p.mutable_profile();
  profile->set_name("Staging default");
  profile->set_company_name("Example Corp");
  profile->set_mdm_agent_apk_url("https://mdm.example.com/agent.apk");
  profile->set_server_url("https://mdm.example.com");
  profile->set_enrollment_token("generated-token-not-a-secret");
  profile->mutable_wifi()->set_ssid("staging");
  (*p.mutable_provisioning_extras())["android.app.extra.PROVISIONING_SKIP_ENCRYPTION"] = "false";
  const std::size_t base = p.ByteSizeLong();
  if (approximate_size > base + 8) {
    std::string filler(approximate_size - base - 8, '\0');
    for (std::size_t i = 0; i < filler.size(); ++i) filler[i] = static_cast<char>('a' + i % 26);
    profile->set_custom_json("{\"x\":\"" + filler.substr(0, filler.size() - 8) + "\"}");
  }
  return p;
}

v1::DeviceIdentity test_device() {
  v1::DeviceIdentity d;
  d.add_imei("490154203237518");
  d.set_serial("R58M12345AB");
  d.set_model("SM-G991B");
  d.set_os_version("14");
  return d;
}

v1::ProfileOffer ScriptedBackend::offer(const SessionInfo&) {
  events.push_back("offer");
  v1::ProfileOffer o;
  auto* p = o.add_profiles();
  p->set_name("Staging default");
  p->set_is_default(true);
  return o;
}

void ScriptedBackend::authorize(const SessionInfo&, const v1::EnrollRequest& request,
                                std::function<void(AuthorizationDecision)> done) {
  events.push_back("authorize");
  AuthorizationDecision d;
  if (mode == Mode::deny) {
    d = fail(Errc::rejected, "device not in inventory");
  } else {
    auto package = make_package(package_size);
    *package.mutable_device() = request.device();
    granted_package = package;
    d = PreparedPackage::prepare(package);
  }
  if (mode == Mode::never) {
    held_ = std::move(done);
    return;
  }
  if (mode == Mode::late) {
    late_timer_ = clock->make_timer(executor);
    late_timer_->expires_after(late_by);
    late_timer_->async_wait([done = std::move(done), d](bool) mutable { done(std::move(d)); });
    return;
  }
  done(std::move(d));
}

void ScriptedBackend::on_finished(const SessionReport& report) {
  events.push_back("finished:" + v1::Outcome_Name(report.outcome));
  EXPECT_FALSE(finished.has_value()) << "on_finished called twice";
  finished = report;
}

SessionConfig fast_config() {
  SessionConfig c;
  c.handshake_timeout = std::chrono::milliseconds(1500);
  c.idle_timeout = std::chrono::milliseconds(1500);
  c.keepalive_interval = std::chrono::milliseconds(300);
  c.close_timeout = std::chrono::milliseconds(300);
  return c;
}

PrimaryOptions primary_options() {
  return PrimaryOptions{.static_key = *noise::Keypair::generate(), .config = fast_config()};
}

TargetOptions target_options() {
  TargetOptions o;
  o.device = test_device();
  o.config = fast_config();
  return o;
}

void run_io(asio::io_context& io, Clock& clock) {
  io.restart();
  auto* manual = dynamic_cast<ManualClock*>(&clock);
  if (!manual) {
    io.run();
    return;
  }
  // Every link of a simulated case completes on `io`: when nothing has run
  // for this long, every session waits for a deadline. The real pause covers
  // a frame still inside the kernel on a loaded machine; each jump costs it.
  constexpr auto kIdle = std::chrono::milliseconds(20);
  while (!io.stopped()) {
    if (io.poll() == 0 && io.run_for(kIdle) == 0) manual->advance_to_next();
  }
}

namespace {

// The backend answers on the session's executor and clock; returns the clock.
Clock& serve_from(ScriptedBackend& backend, asio::io_context& io, const PrimaryOptions& popts) {
  backend.executor = io.get_executor();
  backend.clock = popts.config.clock;
  return *popts.config.clock;
}

}  // namespace

Outcome run_enrollment(asio::io_context& io, LinkPtr target_end, LinkPtr primary_end, ScriptedBackend& backend,
                       PrimaryOptions popts, TargetOptions topts,
                       std::function<void(PrimarySession&, TargetSession&)> during) {
  Clock& clock = serve_from(backend, io, popts);
  auto primary = PrimarySession::create(std::move(primary_end), std::move(popts), backend, "s1");
  auto target = TargetSession::create(std::move(target_end), std::move(topts));
  Outcome out;
  asio::co_spawn(primary->executor(), primary->run(), [&](std::exception_ptr e, SessionReport r) {
    if (e) std::rethrow_exception(e);
    out.primary = std::move(r);
  });
  asio::co_spawn(target->executor(), target->run(), [&](std::exception_ptr e, SessionReport r) {
    if (e) std::rethrow_exception(e);
    out.target = std::move(r);
  });
  if (during) during(*primary, *target);
  run_io(io, clock);
  return out;
}

SessionReport run_primary(asio::io_context& io, LinkPtr primary_end, ScriptedBackend& backend, PrimaryOptions popts) {
  Clock& clock = serve_from(backend, io, popts);
  auto primary = PrimarySession::create(std::move(primary_end), std::move(popts), backend, "s1");
  SessionReport out;
  asio::co_spawn(primary->executor(), primary->run(), [&](std::exception_ptr e, SessionReport r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  run_io(io, clock);
  return out;
}

SessionReport run_target(asio::io_context& io, LinkPtr target_end, TargetOptions topts) {
  Clock& clock = *topts.config.clock;
  auto target = TargetSession::create(std::move(target_end), std::move(topts));
  SessionReport out;
  asio::co_spawn(target->executor(), target->run(), [&](std::exception_ptr e, SessionReport r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  run_io(io, clock);
  return out;
}

LinkPair accept_and_connect(asio::io_context& io, Listener& listener, Connector& connector,
                            const std::string& address, const FaultPlan& faults) {
  LinkPair pair;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await listener.accept();
    EXPECT_TRUE(link.has_value()) << (link ? "" : link.error().message());
    if (link) pair.primary = faults.empty() ? std::move(*link)
                                            : std::make_unique<FaultInjectingLink>(std::move(*link), faults);
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto link = co_await connector.connect(address);
    EXPECT_TRUE(link.has_value()) << (link ? "" : link.error().message());
    if (link) pair.target = std::move(*link);
    else listener.close();  // ends the pending accept
  }, asio::detached);
  io.restart();
  io.run();
  return pair;
}

LinkPair LoopbackFixture::connect(asio::io_context& io, FaultPlan faults) {
  hub.set_faults(faults);  // the hub's own fault injection
  auto connector = hub.connector();
  return accept_and_connect(io, *listener, *connector, "primary", {});
}

void LoopbackFixture::write_raw(Link& target_end, ByteView bytes) {
  ASSERT_FALSE(dynamic_cast<LoopbackLink&>(target_end).write_raw(bytes));
}

TcpFixture::TcpFixture(asio::io_context& io, std::string bind_address) {
  auto l = TcpListener::bind(io.get_executor(), bind_address);
  if (!l) throw std::runtime_error("bind " + bind_address + ": " + l.error().message());
  listener = std::move(*l);
  const auto host = bind_address.substr(0, bind_address.rfind(':'));
  address = host + ":" + std::to_string(listener->port());
}

LinkPair TcpFixture::connect(asio::io_context& io, FaultPlan faults) {
  TcpConnector connector(io.get_executor());
  return accept_and_connect(io, *listener, connector, address, faults);
}

void TcpFixture::write_raw(Link& target_end, ByteView bytes) {
  auto& link = dynamic_cast<StreamLink<asio::ip::tcp::socket>&>(target_end);
  asio::write(link.stream(), asio::buffer(bytes.data(), bytes.size()));
}

}  // namespace kda::test
