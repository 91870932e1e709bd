// The same session scenarios over every transport: each gives the session
// layer links that are reliable, ordered and bidirectional and carry whole
// frames (docs/PROTOCOL.md §2), so the sessions must behave the same on all
// of them. A transport passes when all of these pass.
//
// Each transport instantiates the suite in its own test file, with a fixture
// shaped like LoopbackFixture (harness.h): kName, a constructor taking the
// io_context, connect(io, FaultPlan) -> LinkPair, static write_raw(), and
// kSimulatedTime = false if its links move frames on a thread of their own:
//
//   #include "session_conformance.h"
//   INSTANTIATE_TYPED_TEST_SUITE_P(Bluetooth, SessionConformance,
//                                  ::testing::Types<BluetoothFixture>, kda::test::FixtureNames);
#pragma once

#include "harness.h"

#include "kda/core/frame_codec.h"
#include "kda/core/noise/noise.h"

namespace kda::test {

struct FixtureNames {
  template <typename T>
  static std::string GetName(int) { return T::kName; }
};

// Each case runs on simulated time when its fixture allows (simulated_time()):
// deadlines of seconds pass as soon as nothing else can happen.
template <typename Fixture>
class SessionConformance : public ::testing::Test {
 protected:
  SessionConformance() {
    if (simulated_time<Fixture>()) manual.emplace();
  }

  asio::io_context io;
  std::optional<ManualClock> manual;  // before everything that holds its timers
  Fixture fixture{io};
  ScriptedBackend backend;

  Clock& clock() { return manual ? static_cast<Clock&>(*manual) : steady_clock(); }
  PrimaryOptions popts() {
    auto o = primary_options();
    o.config.clock = &clock();
    return o;
  }
  TargetOptions topts() {
    auto o = target_options();
    o.config.clock = &clock();
    return o;
  }
  // A test's own timer (cancel or stop "later"), on the case's clock.
  std::unique_ptr<Timer> later(std::chrono::milliseconds after, std::function<void()> then) {
    auto timer = clock().make_timer(io.get_executor());
    timer->expires_after(after);
    timer->async_wait([then = std::move(then)](bool) { then(); });
    return timer;
  }

  // Options default to popts() and topts().
  Outcome enroll(FaultPlan faults = {}, std::optional<PrimaryOptions> po = {}, std::optional<TargetOptions> to = {},
                 std::function<void(PrimarySession&, TargetSession&)> during = {}) {
    faults.clock = &clock();
    auto pair = fixture.connect(io, faults);
    return run_enrollment(io, std::move(pair.target), std::move(pair.primary), backend,
                          po ? std::move(*po) : popts(), to ? std::move(*to) : topts(), std::move(during));
  }

  // Reads what the primary answers to one frame sent from a bare target end.
  std::pair<SessionReport, Result<v1::Frame>> primary_answer(Bytes frame) {
    auto pair = fixture.connect(io);
    Link& target = *pair.target;
    Result<v1::Frame> answer = fail(Errc::link_closed);
    asio::co_spawn(target.executor(), [&]() -> asio::awaitable<void> {
      co_await target.write_frame(frame);
      auto bytes = co_await target.read_frame();
      if (bytes) answer = parse_frame(*bytes);
      target.close();  // a bare end says nothing more
    }, asio::detached);
    auto report = run_primary(io, std::move(pair.primary), backend, popts());
    return {report, answer};
  }
};

TYPED_TEST_SUITE_P(SessionConformance);

inline bool same_package(const v1::EnrollmentPackage& a, const v1::EnrollmentPackage& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

TYPED_TEST_P(SessionConformance, FullEnrollment) {
  std::string target_sas;
  auto topts = this->topts();
  topts.on_sas = [&](const std::string& sas) { target_sas = sas; };
  auto out = this->enroll({}, this->popts(), std::move(topts));
  ASSERT_TRUE(out.primary.provisioned()) << out.primary.reason;
  ASSERT_TRUE(out.target.provisioned()) << out.target.reason;
  ASSERT_TRUE(out.target.package.has_value());
  EXPECT_TRUE(same_package(*out.target.package, *this->backend.granted_package));
  EXPECT_EQ(out.target.package->device().imei(0), "490154203237518");
  EXPECT_EQ(target_sas.size(), 6u);
  EXPECT_EQ(out.primary.info.sas, target_sas);
  EXPECT_EQ(out.primary.info.device.serial(), "R58M12345AB");
  EXPECT_FALSE(out.primary.info.out_of_band_secret);
  EXPECT_EQ(this->backend.events,
            (std::vector<std::string>{"offer", "authorize", "transfer", "finished:OUTCOME_PROVISIONED"}));
}

TYPED_TEST_P(SessionConformance, EnrollmentWithOutOfBandSecretAndPinnedKey) {
  noise::Key psk{};
  psk.fill(0x42);
  auto popts = this->popts();
  popts.psk = psk;
  popts.require_psk = true;
  auto topts = this->topts();
  topts.psk = psk;
  topts.pinned_primary_key = popts.static_key.public_key();
  auto out = this->enroll({}, popts, topts);
  ASSERT_TRUE(out.primary.provisioned()) << out.primary.reason;
  ASSERT_TRUE(out.target.provisioned()) << out.target.reason;
  EXPECT_TRUE(out.primary.info.out_of_band_secret);
}

TYPED_TEST_P(SessionConformance, LargePackageInChunks) {
  this->backend.package_size = 1024 * 1024;
  std::vector<std::uint64_t> progress;
  auto topts = this->topts();
  topts.on_progress = [&](std::uint64_t received, std::uint64_t) { progress.push_back(received); };
  auto out = this->enroll({}, this->popts(), std::move(topts));
  ASSERT_TRUE(out.target.provisioned()) << out.target.reason;
  ASSERT_TRUE(out.primary.provisioned()) << out.primary.reason;
  EXPECT_TRUE(same_package(*out.target.package, *this->backend.granted_package));
  EXPECT_GE(progress.size(), 32u);  // 1 MiB in 32 KiB chunks
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_GT(out.primary.bytes_sent, 1024u * 1024u);
}

TYPED_TEST_P(SessionConformance, LinkDroppedAtEveryFrame) {
  // A clean run counts the frames through the primary's end: Hello (with
  // handshake message 1), HS2, EnrollRequest, chunk (the grant), Ack, Result.
  auto clean = this->enroll({});
  ASSERT_TRUE(clean.primary.provisioned());
  const int frames = static_cast<int>(clean.primary.frames_sent + clean.primary.frames_received);
  ASSERT_EQ(frames, 6);
  const int ack = frames - 1, result = frames;
  for (int k = 1; k < frames; ++k) {
    SCOPED_TRACE("link dropped after frame " + std::to_string(k));
    this->backend = ScriptedBackend{};
    FaultPlan plan;
    plan.drop_after_frame = k;
    auto out = this->enroll(plan);
    // The commit point is the primary reading the Ack; before it nobody is provisioned.
    EXPECT_EQ(out.primary.provisioned(), k >= ack);
    EXPECT_EQ(out.target.provisioned(), k >= result);
    for (const auto* r : {&out.primary, &out.target}) {
      if (r->provisioned()) continue;
      EXPECT_TRUE(r->error == Errc::link_closed || r->error == Errc::link_failed) << r->error.message();
      EXPECT_FALSE(r->reason.empty());
    }
    ASSERT_TRUE(this->backend.finished.has_value());
    EXPECT_EQ(this->backend.finished->provisioned(), k >= ack);
  }
}

TYPED_TEST_P(SessionConformance, FailedReadAndWriteEndCleanly) {
  // The primary reads Hello, EnrollRequest, Ack and writes HS2 and the chunk
  // before the commit point.
  for (int n = 1; n <= 3; ++n) {
    SCOPED_TRACE("failure at operation " + std::to_string(n));
    FaultPlan reads;
    reads.fail_read_at = n;
    this->backend = ScriptedBackend{};
    auto a = this->enroll(reads);
    EXPECT_FALSE(a.primary.provisioned());
    EXPECT_FALSE(a.target.provisioned());
    EXPECT_EQ(a.primary.error, Errc::link_failed);
    if (n > 2) continue;
    FaultPlan writes;
    writes.fail_write_at = n;
    this->backend = ScriptedBackend{};
    auto b = this->enroll(writes);
    EXPECT_FALSE(b.primary.provisioned());
    EXPECT_EQ(b.primary.error, Errc::link_failed);
  }
}

TYPED_TEST_P(SessionConformance, DelayedLinkStillEnrolls) {
  FaultPlan plan;
  plan.delay = std::chrono::milliseconds(20);
  auto out = this->enroll(plan);
  EXPECT_TRUE(out.primary.provisioned()) << out.primary.reason;
  EXPECT_TRUE(out.target.provisioned()) << out.target.reason;
}

TYPED_TEST_P(SessionConformance, SilentTargetHitsPrimaryDeadline) {
  auto pair = this->fixture.connect(this->io);
  auto report = run_primary(this->io, std::move(pair.primary), this->backend, this->popts());
  EXPECT_EQ(report.error, Errc::timeout);
  EXPECT_EQ(report.outcome, v1::OUTCOME_FAILED);
  ASSERT_TRUE(this->backend.finished.has_value());
}

TYPED_TEST_P(SessionConformance, SilentPrimaryHitsTargetDeadline) {
  auto pair = this->fixture.connect(this->io);
  auto report = run_target(this->io, std::move(pair.target), this->topts());
  EXPECT_EQ(report.error, Errc::timeout);
  EXPECT_FALSE(report.provisioned());
}

TYPED_TEST_P(SessionConformance, TamperedCiphertextIsRefused) {
  this->backend.package_size = 200 * 1024;
  FaultPlan plan;
  plan.corrupt_write_at = 4;  // HS2, chunk 1, chunk 2, chunk 3
  auto out = this->enroll(plan);
  EXPECT_EQ(out.target.error, Errc::decrypt_failed);
  EXPECT_EQ(out.primary.error, Errc::decrypt_failed);
  EXPECT_TRUE(out.primary.peer_reported);
  EXPECT_FALSE(out.primary.provisioned());
}

TYPED_TEST_P(SessionConformance, ReplayedFrameIsRefused) {
  this->backend.package_size = 200 * 1024;
  FaultPlan plan;
  plan.duplicate_write_at = 3;
  auto out = this->enroll(plan);
  EXPECT_EQ(out.target.error, Errc::replayed_frame);
  EXPECT_FALSE(out.primary.provisioned());
  EXPECT_FALSE(out.target.provisioned());
}

TYPED_TEST_P(SessionConformance, ReorderedFrameIsRefused) {
  this->backend.package_size = 200 * 1024;
  FaultPlan plan;
  plan.swap_write_at = 3;
  auto out = this->enroll(plan);
  EXPECT_EQ(out.target.error, Errc::reordered_frame);
  EXPECT_FALSE(out.primary.provisioned());
  EXPECT_FALSE(out.target.provisioned());
}

TYPED_TEST_P(SessionConformance, WrongPskIsRefused) {
  noise::Key a{}, b{};
  a.fill(1);
  b.fill(2);
  auto popts = this->popts();
  popts.psk = a;
  auto topts = this->topts();
  topts.psk = b;
  auto out = this->enroll({}, popts, topts);
  EXPECT_EQ(out.target.error, Errc::handshake_failed);
  EXPECT_EQ(out.primary.error, Errc::handshake_failed);
  EXPECT_TRUE(out.primary.peer_reported);
  EXPECT_EQ(this->backend.events, (std::vector<std::string>{"offer", "finished:OUTCOME_FAILED"}));
}

TYPED_TEST_P(SessionConformance, MissingPskIsRefused) {
  auto popts = this->popts();
  popts.psk = noise::Key{};
  popts.require_psk = true;
  auto out = this->enroll({}, popts, this->topts());
  EXPECT_EQ(out.primary.error, Errc::psk_required);
  EXPECT_EQ(out.target.error, Errc::psk_required);
  EXPECT_TRUE(out.target.peer_reported);
}

TYPED_TEST_P(SessionConformance, WrongPinnedKeyIsRefused) {
  auto topts = this->topts();
  topts.pinned_primary_key = noise::Keypair::generate()->public_key();
  auto out = this->enroll({}, this->popts(), topts);
  EXPECT_EQ(out.target.error, Errc::peer_key_mismatch);
  EXPECT_EQ(out.primary.error, Errc::peer_key_mismatch);
  EXPECT_FALSE(out.primary.provisioned());
}

// Attacks from a target end that does not run a session.
TYPED_TEST_P(SessionConformance, OversizedLengthPrefixIsRefused) {
  auto pair = this->fixture.connect(this->io);
  const std::uint8_t prefix[] = {0x7f, 0xff, 0xff, 0xff};
  TypeParam::write_raw(*pair.target, prefix);
  auto report = run_primary(this->io, std::move(pair.primary), this->backend, this->popts());
  EXPECT_EQ(report.error, Errc::frame_too_large);
}

TYPED_TEST_P(SessionConformance, HelloSizedLimitBeforeTheHandshake) {
  // An unkeyed peer announcing more than a Hello needs is refused at the
  // prefix: nothing of the announced size is read or allocated.
  auto pair = this->fixture.connect(this->io);
  Bytes prefix;
  put_length_prefix(prefix, kMaxHelloFrameSize + 1);
  TypeParam::write_raw(*pair.target, prefix);
  auto report = run_primary(this->io, std::move(pair.primary), this->backend, this->popts());
  EXPECT_EQ(report.error, Errc::frame_too_large);
  EXPECT_EQ(this->backend.events, (std::vector<std::string>{"finished:OUTCOME_FAILED"}));
}

TYPED_TEST_P(SessionConformance, GarbageBytesAreRefused) {
  auto pair = this->fixture.connect(this->io);
  const std::uint8_t garbage[] = {0x00, 0x00, 0x00, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  TypeParam::write_raw(*pair.target, garbage);
  auto report = run_primary(this->io, std::move(pair.primary), this->backend, this->popts());
  EXPECT_EQ(report.error, Errc::malformed_frame);
}

TYPED_TEST_P(SessionConformance, UnkeyedErrorReasonIsEscaped) {
  v1::Frame forged;
  forged.mutable_error()->set_code(305);
  forged.mutable_error()->set_message("x\n2026-12-06 10:00:00 info    device 490154203237518 provisioned\x1b[2J" +
                                      std::string(300, 'y'));
  auto [report, answer] = this->primary_answer(serialize_frame(forged));
  EXPECT_EQ(report.reason.find('\n'), std::string::npos) << report.reason;
  EXPECT_EQ(report.reason.find('\x1b'), std::string::npos) << report.reason;
  EXPECT_NE(report.reason.find("unauthenticated peer sent code 305: x\\x0a2026"), std::string::npos) << report.reason;
  EXPECT_LT(report.reason.size(), 200u) << report.reason;
}

TYPED_TEST_P(SessionConformance, UnknownFrameTypeIsRefused) {
  const Bytes unknown = {0x7a, 0x00};  // field 15, length 0: not a body this version knows
  auto [report, answer] = this->primary_answer(unknown);
  EXPECT_EQ(report.error, Errc::unknown_frame_type);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->has_error());
  EXPECT_EQ(answer->error().code(), static_cast<std::uint32_t>(Errc::unknown_frame_type));
}

TYPED_TEST_P(SessionConformance, UnsupportedVersionGetsErrorNamingBoth) {
  v1::Frame hello;
  hello.mutable_hello()->set_protocol_version(7);
  hello.mutable_hello()->set_role(v1::ROLE_TARGET);
  hello.mutable_hello()->set_noise_pattern(v1::NOISE_NX);
  auto [report, answer] = this->primary_answer(serialize_frame(hello));
  EXPECT_EQ(report.error, Errc::unsupported_version);
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->has_error());
  EXPECT_EQ(answer->error().code(), static_cast<std::uint32_t>(Errc::unsupported_version));
  EXPECT_EQ(answer->error().supported_version(), kProtocolVersion);
  EXPECT_NE(answer->error().message().find("version 7"), std::string::npos) << answer->error().message();
  EXPECT_NE(answer->error().message().find("version 1"), std::string::npos) << answer->error().message();
}

TYPED_TEST_P(SessionConformance, FutureHelloIsAnsweredWithVersionNotValidation) {
  // A version-2 Hello may use a role or pattern version 1 does not know.
  v1::Frame hello;
  hello.mutable_hello()->set_protocol_version(2);
  hello.mutable_hello()->set_role(static_cast<v1::Role>(9));
  hello.mutable_hello()->set_noise_pattern(static_cast<v1::NoisePattern>(7));
  auto [report, answer] = this->primary_answer(serialize_frame(hello));
  EXPECT_EQ(report.error, Errc::unsupported_version);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->error().supported_version(), kProtocolVersion);
}

// The prologue as docs/PROTOCOL.md section 7.2 defines it, written here
// independently of the core's own.
inline Bytes documented_prologue(const v1::Hello& h) {
  Bytes p = {'k', 'd', 'a', '-', 'v', '1'};
  auto put = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  put(h.protocol_version());
  put(static_cast<std::uint32_t>(h.role()));
  put(static_cast<std::uint32_t>(h.transport()));
  put(static_cast<std::uint32_t>(h.noise_pattern()));
  put(static_cast<std::uint32_t>(h.capabilities_size()));
  for (const auto& c : h.capabilities()) {
    put(static_cast<std::uint32_t>(c.size()));
    p.insert(p.end(), c.begin(), c.end());
  }
  return p;
}

TYPED_TEST_P(SessionConformance, HelloAlteredOnTheWayBreaksTheHandshake) {
  // Message 1 itself is not encrypted under NX: the prologue is what makes the
  // primary's message 2 fail for a target whose Hello was changed in transit.
  for (const bool altered : {false, true}) {
    SCOPED_TRACE(altered ? "Hello altered" : "Hello as sent");
    this->backend = ScriptedBackend{};
    v1::Frame hello;
    auto* h = hello.mutable_hello();
    h->set_protocol_version(kProtocolVersion);
    h->set_role(v1::ROLE_TARGET);
    h->set_transport(v1::TRANSPORT_TCP);
    h->set_noise_pattern(v1::NOISE_NX);
    noise::HandshakeOptions o;
    o.protocol = {noise::Pattern::NX, noise::Cipher::ChaChaPoly};
    o.role = noise::Role::initiator;
    o.prologue = documented_prologue(*h);
    auto hs = noise::HandshakeState::create(std::move(o));
    ASSERT_TRUE(hs);
    auto msg1 = hs->write_message({});
    ASSERT_TRUE(msg1);
    h->set_noise_message(msg1->data(), msg1->size());
    if (altered) h->add_capabilities("injected");
    auto [report, answer] = this->primary_answer(serialize_frame(hello));
    ASSERT_TRUE(answer.has_value());
    ASSERT_TRUE(answer->has_handshake());
    auto offer = hs->read_message(as_bytes(answer->handshake().noise_message()));
    EXPECT_EQ(offer.has_value(), !altered);
    EXPECT_FALSE(report.provisioned());
  }
}

TYPED_TEST_P(SessionConformance, ForgedClearCloseAfterHandshakeIsNotACancel) {
  // Someone on the path injects a clear Close(302) while the primary waits
  // for the admin: it must not be recorded as "cancelled by user".
  this->backend.mode = ScriptedBackend::Mode::never;
  auto pair = this->fixture.connect(this->io);
  Link* target_end = pair.target.get();
  v1::Frame forged;
  forged.mutable_close()->set_code(static_cast<std::uint32_t>(Errc::cancelled));
  const Bytes wire = encode_for_stream(serialize_frame(forged));
  std::unique_ptr<Timer> later;
  auto out = run_enrollment(this->io, std::move(pair.target), std::move(pair.primary), this->backend,
                            this->popts(), this->topts(), [&](PrimarySession&, TargetSession&) {
                              later = this->later(std::chrono::milliseconds(300),
                                                  [&] { TypeParam::write_raw(*target_end, wire); });
                            });
  EXPECT_EQ(out.primary.error, Errc::unexpected_frame);
  EXPECT_EQ(out.primary.outcome, v1::OUTCOME_FAILED);
  EXPECT_FALSE(out.target.provisioned());
}

TYPED_TEST_P(SessionConformance, RejectedDeviceGetsReason) {
  this->backend.mode = ScriptedBackend::Mode::deny;
  auto out = this->enroll();
  EXPECT_EQ(out.target.outcome, v1::OUTCOME_REJECTED);
  EXPECT_EQ(out.target.error, Errc::rejected);
  EXPECT_NE(out.target.reason.find("device not in inventory"), std::string::npos) << out.target.reason;
  EXPECT_EQ(out.primary.outcome, v1::OUTCOME_REJECTED);
  EXPECT_EQ(this->backend.events, (std::vector<std::string>{"offer", "authorize", "finished:OUTCOME_REJECTED"}));
}

TYPED_TEST_P(SessionConformance, RejectionEndsWithoutWaitingOutTheCloseTimeout) {
  this->backend.mode = ScriptedBackend::Mode::deny;
  const auto start = this->clock().now();
  auto out = this->enroll();
  EXPECT_EQ(out.primary.outcome, v1::OUTCOME_REJECTED);
  // Both sides lingering for each other would take the whole close_timeout.
  EXPECT_LT(this->clock().now() - start, fast_config().close_timeout);
}

TYPED_TEST_P(SessionConformance, UnrecordedTransferSendsNoPackage) {
  this->backend.refuse_transfer = Error{Errc::store_full, "the staging desk's disk is full"};
  std::size_t chunk_bytes = 0;
  TargetOptions topts = this->topts();
  topts.on_progress = [&](std::uint64_t received, std::uint64_t) { chunk_bytes = received; };
  auto out = this->enroll({}, this->popts(), topts);
  EXPECT_FALSE(out.target.provisioned());
  EXPECT_EQ(out.target.error, Errc::store_full);
  EXPECT_NE(out.target.reason.find("disk is full"), std::string::npos) << out.target.reason;
  EXPECT_EQ(out.primary.error, Errc::store_full);
  EXPECT_EQ(chunk_bytes, 0u);  // nothing of the package left
}

TYPED_TEST_P(SessionConformance, UnrecordedAcknowledgementWithholdsTheResult) {
  this->backend.refuse_ack = Error{Errc::store_unavailable, "the ledger cannot be written"};
  auto out = this->enroll();
  EXPECT_FALSE(out.target.provisioned());
  EXPECT_FALSE(out.target.package.has_value());
  EXPECT_EQ(out.target.error, Errc::store_unavailable) << out.target.reason;
  EXPECT_FALSE(out.primary.provisioned());
  EXPECT_EQ(out.primary.error, Errc::store_unavailable);
}

TYPED_TEST_P(SessionConformance, KeepAlivesCarrySlowAuthorization) {
  // The decision takes longer than the target's idle deadline.
  this->backend.mode = ScriptedBackend::Mode::late;
  this->backend.late_by = std::chrono::milliseconds(2500);
  auto out = this->enroll();
  EXPECT_TRUE(out.target.provisioned()) << out.target.reason;
  EXPECT_TRUE(out.primary.provisioned()) << out.primary.reason;
}

TYPED_TEST_P(SessionConformance, UserCancelsWhileWaiting) {
  this->backend.mode = ScriptedBackend::Mode::never;
  std::unique_ptr<Timer> later;
  auto out = this->enroll({}, {}, {}, [&](PrimarySession&, TargetSession& t) {
    later = this->later(std::chrono::milliseconds(500), [&t] { t.cancel(); });
  });
  EXPECT_EQ(out.target.outcome, v1::OUTCOME_CANCELLED);
  EXPECT_EQ(out.primary.outcome, v1::OUTCOME_CANCELLED);
  EXPECT_EQ(out.primary.error, Errc::cancelled);
}

TYPED_TEST_P(SessionConformance, PrimaryShutdownEndsSessionWithClose) {
  this->backend.mode = ScriptedBackend::Mode::never;
  std::unique_ptr<Timer> later;
  auto out = this->enroll({}, {}, {}, [&](PrimarySession& p, TargetSession&) {
    later = this->later(std::chrono::milliseconds(500), [&p] { p.stop(); });
  });
  EXPECT_EQ(out.primary.error, Errc::shutdown);
  EXPECT_EQ(out.target.error, Errc::shutdown);
  EXPECT_TRUE(out.target.peer_reported);
  EXPECT_FALSE(out.target.provisioned());
}

REGISTER_TYPED_TEST_SUITE_P(SessionConformance,
                            FullEnrollment,
                            EnrollmentWithOutOfBandSecretAndPinnedKey,
                            LargePackageInChunks,
                            LinkDroppedAtEveryFrame,
                            FailedReadAndWriteEndCleanly,
                            DelayedLinkStillEnrolls,
                            SilentTargetHitsPrimaryDeadline,
                            SilentPrimaryHitsTargetDeadline,
                            TamperedCiphertextIsRefused,
                            ReplayedFrameIsRefused,
                            ReorderedFrameIsRefused,
                            WrongPskIsRefused,
                            MissingPskIsRefused,
                            WrongPinnedKeyIsRefused,
                            OversizedLengthPrefixIsRefused,
                            HelloSizedLimitBeforeTheHandshake,
                            UnkeyedErrorReasonIsEscaped,
                            GarbageBytesAreRefused,
                            UnknownFrameTypeIsRefused,
                            UnsupportedVersionGetsErrorNamingBoth,
                            FutureHelloIsAnsweredWithVersionNotValidation,
                            HelloAlteredOnTheWayBreaksTheHandshake,
                            ForgedClearCloseAfterHandshakeIsNotACancel,
                            RejectedDeviceGetsReason,
                            RejectionEndsWithoutWaitingOutTheCloseTimeout,
                            UnrecordedTransferSendsNoPackage,
                            UnrecordedAcknowledgementWithholdsTheResult,
                            KeepAlivesCarrySlowAuthorization,
                            UserCancelsWhileWaiting,
                            PrimaryShutdownEndsSessionWithClose);

}  // namespace kda::test
