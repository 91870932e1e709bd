#include "kda/core/frame_codec.h"
#include "kda/core/frames.h"
#include "kda/core/digest.h"
#include "kda/core/sas.h"
#include "kda/core/signal.h"
#include "kda/core/thread_check.h"
#include "kda/core/untrusted_text.h"
#include "handshake_setup.h"
#include "session_channel.h"

namespace kda {

std::shared_ptr<PrimarySession> PrimarySession::create(LinkPtr link, PrimaryOptions options,
                                                       EnrollmentBackend& backend, std::string session_id) {
  return std::shared_ptr<PrimarySession>(
      new PrimarySession(std::move(link), std::move(options), backend, std::move(session_id)));
}

PrimarySession::PrimarySession(LinkPtr link, PrimaryOptions options, EnrollmentBackend& backend,
                               std::string id)
    : options_(std::move(options)), backend_(backend) {
  info_.session_id = std::move(id);
  info_.transport = link->kind();
  info_.peer = link->peer();
  channel_ = std::make_shared<SessionChannel>(std::move(link), options_.config);
}

PrimarySession::~PrimarySession() = default;

asio::any_io_executor PrimarySession::executor() const { return channel_->executor(); }

void PrimarySession::stop() { channel_->interrupt(Errc::shutdown); }

asio::awaitable<SessionReport> PrimarySession::run() {
  KDA_ASSERT_ON(executor());
  auto self = shared_from_this();
  SessionReport report = co_await exchange();
  co_return co_await finish(std::move(report));
}

asio::awaitable<SessionReport> PrimarySession::finish(SessionReport report) {
  std::string text = report.reason.empty() ? describe(report.error) : report.reason;
  if (report.provisioned()) {
    channel_->close_link();  // Result was the last frame
  } else {
    co_await channel_->end(report.error, text);
  }
  if (channel_->peer_reported()) {
    report.peer_reported = true;
    report.reason = channel_->secure() ? "target reported: " + channel_->peer_reason()
                                       : "unauthenticated peer sent code " + std::to_string(channel_->peer_code()) +
                                             ": " + channel_->peer_reason();
  }
  if (report.reason.empty()) report.reason = describe(report.error);
  report.info = info_;
  channel_->fill_counters(report);
  backend_.on_finished(report);
  co_return report;
}

// Steps 1 and 2: the Hello, in clear, carrying Noise handshake message 1;
// then message 2, carrying the offer. Until the handshake completes the peer
// is nobody: it gets what a Hello needs. Leaves the channel keyed.
asio::awaitable<Result<void>> PrimarySession::handshake() {
  auto& ch = *channel_;
  ch.link().set_max_frame_size(kMaxHelloFrameSize);
  auto hello = co_await ch.read_clear(options_.config.handshake_timeout);
  if (!hello) co_return fail(hello.error().code);
  if (!hello->has_hello()) co_return fail(Errc::unexpected_frame, "expected Hello");
  const auto& h = hello->hello();
  if (h.protocol_version() != kProtocolVersion) {
    v1::Frame err = frames::unsupported_version(h.protocol_version());
    std::string text = err.error().message();
    ch.set_farewell(std::move(err));
    co_return fail(Errc::unsupported_version, std::move(text));
  }
  const bool with_psk = h.noise_pattern() == v1::NOISE_NX_PSK2;
  if (with_psk && !options_.psk) co_return fail(Errc::psk_required, "target uses an out-of-band secret this primary lacks");
  if (!with_psk && options_.require_psk) co_return fail(Errc::psk_required, "this transport requires an out-of-band secret");
  info_.out_of_band_secret = with_psk;

  noise::HandshakeOptions hs_options;
  hs_options.protocol = handshake_protocol(h.noise_pattern());
  hs_options.role = noise::Role::responder;
  hs_options.prologue = handshake_prologue(h);
  hs_options.local_static = options_.static_key;
  if (with_psk) hs_options.psk = options_.psk;
  auto hs = noise::HandshakeState::create(std::move(hs_options));
  if (!hs) co_return fail(hs.error().code);
  if (auto payload = hs->read_message(as_bytes(h.noise_message())); !payload) co_return fail(Errc::handshake_failed);

  const v1::Frame offer = frames::profile_offer(backend_.offer(info_));
  if (validate_frame(offer, FrameLayer::sealed))
    co_return fail(Errc::internal_error, "profile offer from the backend is invalid");
  auto msg2 = hs->write_message(serialize_frame(offer));
  const v1::Frame hs2 = msg2 ? frames::handshake(*msg2) : v1::Frame{};
  if (!msg2 || hs2.ByteSizeLong() > kMaxFrameSize)
    co_return fail(Errc::internal_error, "profile offer too large for handshake message 2");
  if (auto ec = co_await ch.write_clear(hs2)) co_return fail(ec);
  info_.sas = sas_code(hs->handshake_hash());
  auto split = hs->split();
  if (!split) co_return fail(split.error().code);
  ch.start_secure(SecureChannel(std::move(split->responder_to_initiator), std::move(split->initiator_to_responder)));
  ch.link().set_max_frame_size(kMaxFrameSize);
  co_return Result<void>{};
}

// Step 5: the package, in chunks; the digest rides in the last one. The
// ledger's Provisioning entry is durable before the first byte leaves.
asio::awaitable<Result<void>> PrimarySession::send_package(const PreparedPackage& package) {
  auto& ch = *channel_;
  if (auto recorded = co_await backend_.on_transfer_started(info_); !recorded) {
    const Error& why = recorded.error();
    if (auto ec = co_await ch.write_sealed(frames::refusal(wire_errc(why.code), why.message()))) co_return fail(ec);
    co_return fail(why.code, why.message());
  }
  const ByteView bytes = as_bytes(package.bytes());
  const std::size_t total = bytes.size();
  for (std::size_t offset = 0; offset < total;) {
    const std::size_t n = std::min(options_.config.chunk_size, total - offset);
    const ByteView digest = offset + n == total ? ByteView(package.sha256()) : ByteView();
    if (auto ec = co_await ch.write_chunk(offset, total, bytes.subspan(offset, n), digest)) co_return fail(ec);
    offset += n;
  }
  co_return Result<void>{};
}

asio::awaitable<SessionReport> PrimarySession::exchange() {
  const auto& cfg = options_.config;
  auto& ch = *channel_;

  // 1, 2. Hello and the handshake.
  if (auto keyed = co_await handshake(); !keyed) co_return failure(keyed.error().code, keyed.error().detail);

  // 3. The device's claim and choice.
  auto request = co_await ch.read_sealed(cfg.idle_timeout);
  if (!request) co_return failure(request.error().code, "");
  if (!request->has_enroll_request())
    co_return failure(make_error_code(Errc::unexpected_frame), "expected EnrollRequest");
  info_.device = request->enroll_request().device();  // formats checked by the validator
  info_.profile_name = escape_untrusted(request->enroll_request().profile_name());

  // 4. Authorization (may wait for the admin). A refusal is an Authorization
  // frame; a grant is the package's first chunk.
  auto decision = co_await await_decision(request->enroll_request());
  if (!decision) co_return failure(decision.error().code, "");
  if (!*decision) {
    const Error& why = decision->error();
    if (auto ec = co_await ch.write_sealed(frames::refusal(wire_errc(why.code), why.message()))) co_return failure(ec, "");
    co_return failure(why.code, why.message());
  }
  const PreparedPackage& package = **decision;
  if (package.empty() || package.package_id().empty())
    co_return failure(make_error_code(Errc::internal_error), "backend granted an empty package");
  if (package.bytes().size() > cfg.max_package_size) co_return failure(make_error_code(Errc::package_too_large), "");
  info_.package_id = package.package_id();
  info_.profile_name = package.profile_name();

  // 5. The package.
  if (auto sent = co_await send_package(package); !sent) co_return failure(sent.error().code, sent.error().detail);

  // 6. Acknowledgement: only now is the device provisioned.
  auto ack = co_await ch.read_sealed(cfg.idle_timeout);
  if (!ack) co_return failure(ack.error().code, "");
  if (!ack->has_ack())
    co_return failure(make_error_code(Errc::unexpected_frame), "expected Acknowledgement of the package");
  // Provisioned is committed before the Result says so: a target that hears
  // Result is recorded Provisioned, whatever happens to this process next.
  if (auto recorded = co_await backend_.on_acknowledged(info_); !recorded)
    co_return failure(recorded.error().code, recorded.error().message());
  co_await ch.write_sealed(frames::result(v1::OUTCOME_PROVISIONED));  // lost or not, the target has acknowledged
  SessionReport done;
  done.outcome = v1::OUTCOME_PROVISIONED;
  co_return done;
}

namespace {

// What the wait for the backend's decision shares with the backend's
// callback and with the read that watches the target meanwhile. All of them
// run on the session's executor (EnrollmentBackend's rule), so plain fields.
struct DecisionWait {
  explicit DecisionWait(const asio::any_io_executor& ex) : executor(ex), watch_ended(ex) {}
  asio::any_io_executor executor;
  std::optional<AuthorizationDecision> decision;
  // On the session's clock; made only when the decision does not come at once.
  std::unique_ptr<Timer> wake;
  bool watching = false;   // watch_target() is under way
  Signal watch_ended;       // set when it is not
  std::error_code peer_ec;  // what it saw: the target cancelled, hung up or spoke
  void poke() {
    if (wake) wake->cancel();
  }
};

// A read in parallel with the wait notices a target that cancels or hangs
// up meanwhile; await_decision cancels it once decided and waits for it.
asio::awaitable<void> watch_target(std::shared_ptr<SessionChannel> ch, std::shared_ptr<DecisionWait> wait) {
  auto frame = co_await ch->read_sealed(std::chrono::hours(24));
  if (!frame) {
    // Our own cancel() of this read is not news; a peer's Close(302) is.
    if (ch->peer_reported() || frame.error() != Errc::cancelled) wait->peer_ec = frame.error().code;
  } else {
    wait->peer_ec = make_error_code(Errc::unexpected_frame);
  }
  wait->watching = false;
  wait->watch_ended.set();
  wait->poke();
}

// Until decided, interrupted or the target is gone, a keep-alive every
// interval so the target's idle deadline does not fire.
asio::awaitable<std::error_code> keep_alive_until_decided(SessionChannel& ch, DecisionWait& wait) {
  const auto interval = ch.config().keepalive_interval;
  for (;;) {
    if (auto reason = ch.interrupted()) co_return make_error_code(*reason);
    if (wait.decision || wait.peer_ec) co_return std::error_code{};
    if (interval.count() > 0) wait.wake->expires_after(interval);
    else wait.wake->expires_at(Clock::time_point::max());
    const bool expired = co_await wait.wake->wait();
    if (expired && !wait.decision && !wait.peer_ec)
      if (auto werr = co_await ch.write_sealed(frames::keep_alive())) co_return werr;
  }
}

}  // namespace

asio::awaitable<Result<AuthorizationDecision>> PrimarySession::await_decision(const v1::EnrollRequest& request) {
  auto& ch = *channel_;
  auto wait = std::make_shared<DecisionWait>(ch.executor());
  backend_.authorize(info_, request, [wait](AuthorizationDecision d) {
    KDA_ASSERT_ON(wait->executor);  // EnrollmentBackend: done runs on the session's executor
    wait->decision = std::move(d);
    wait->poke();
  });
  if (wait->decision) co_return std::move(*wait->decision);  // answered inside authorize()

  wait->wake = ch.make_timer();
  ch.set_wait_timer(wait->wake.get());
  wait->watching = true;
  asio::co_spawn(ch.executor(), watch_target(channel_, wait), asio::detached);
  const std::error_code ec = co_await keep_alive_until_decided(ch, *wait);
  ch.set_wait_timer(nullptr);
  if (wait->watching) {  // the link's one reader must be done before the session reads again
    ch.link().cancel();
    co_await wait->watch_ended.wait();
  }
  wait->wake.reset();  // a late done() finds no timer: the clock need only outlive the session
  if (ec) co_return tl::unexpected(ec);
  if (wait->peer_ec) co_return tl::unexpected(wait->peer_ec);
  co_return std::move(*wait->decision);
}

}  // namespace kda
