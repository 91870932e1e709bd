#include "kda/core/frame_codec.h"
#include "kda/core/frames.h"
#include "kda/core/digest.h"
#include "kda/core/sas.h"
#include "kda/core/thread_check.h"
#include "handshake_setup.h"
#include "session_channel.h"

namespace kda {

std::shared_ptr<TargetSession> TargetSession::create(LinkPtr link, TargetOptions options) {
  return std::shared_ptr<TargetSession>(new TargetSession(std::move(link), std::move(options)));
}

TargetSession::TargetSession(LinkPtr link, TargetOptions options) : options_(std::move(options)) {
  channel_ = std::make_shared<SessionChannel>(std::move(link), options_.config);
}

TargetSession::~TargetSession() = default;

asio::any_io_executor TargetSession::executor() const { return channel_->executor(); }
void TargetSession::cancel() { channel_->interrupt(Errc::cancelled); }
void TargetSession::stop() { channel_->interrupt(Errc::shutdown); }

asio::awaitable<SessionReport> TargetSession::run() {
  KDA_ASSERT_ON(executor());
  auto self = shared_from_this();
  SessionReport report = co_await exchange();
  if (report.provisioned()) {
    channel_->close_link();  // Result was the primary's last frame
  } else {
    // Named, not a temporary: GCC 12 destroys temporaries in co_await operands twice.
    const std::string text = report.reason.empty() ? describe(report.error) : report.reason;
    co_await channel_->end(report.error, text);
  }
  if (channel_->peer_reported()) {
    report.peer_reported = true;
    report.reason = "primary reported: " + channel_->peer_reason();
  }
  if (report.reason.empty()) report.reason = describe(report.error);
  report.info.device = options_.device;
  report.info.transport = channel_->link().kind();
  report.info.peer = channel_->link().peer();
  channel_->fill_counters(report);
  co_return report;
}

// Steps 1 and 2: Hello carrying Noise handshake message 1, in clear; then
// message 2, carrying the profile offer. Leaves the channel keyed and the SAS
// in `report`.
asio::awaitable<Result<void>> TargetSession::handshake(SessionReport& report) {
  auto& ch = *channel_;
  const bool with_psk = options_.psk.has_value();
  v1::Frame hello = frames::hello(ch.link().kind(), with_psk ? v1::NOISE_NX_PSK2 : v1::NOISE_NX);
  auto* h = hello.mutable_hello();
  noise::HandshakeOptions hs_options;
  hs_options.protocol = handshake_protocol(h->noise_pattern());
  hs_options.role = noise::Role::initiator;
  hs_options.prologue = handshake_prologue(*h);
  hs_options.psk = options_.psk;
  auto hs = noise::HandshakeState::create(std::move(hs_options));
  if (!hs) co_return fail(hs.error().code);
  auto msg1 = hs->write_message({});
  if (!msg1) co_return fail(msg1.error().code);
  h->set_noise_message(msg1->data(), msg1->size());
  if (auto ec = co_await ch.write_clear(hello)) co_return fail(ec);

  auto msg2 = co_await ch.read_clear(options_.config.handshake_timeout);
  if (!msg2) co_return fail(msg2.error().code);
  if (!msg2->has_handshake()) co_return fail(Errc::unexpected_frame, "expected handshake message 2");
  auto payload = hs->read_message(as_bytes(msg2->handshake().noise_message()));
  if (!payload) co_return fail(Errc::handshake_failed);
  if (options_.pinned_primary_key && hs->remote_static() != options_.pinned_primary_key)
    co_return fail(Errc::peer_key_mismatch);
  auto offer = parse_frame(*payload);
  if (!offer) co_return fail(offer.error().code);
  if (auto ec = validate_frame(*offer, FrameLayer::sealed)) co_return fail(ec);
  if (!offer->has_profile_offer()) co_return fail(Errc::unexpected_frame, "expected ProfileOffer");
  report.info.sas = sas_code(hs->handshake_hash());
  report.info.out_of_band_secret = with_psk;
  if (options_.on_sas) options_.on_sas(report.info.sas);
  auto split = hs->split();
  if (!split) co_return fail(split.error().code);
  ch.start_secure(SecureChannel(std::move(split->initiator_to_responder), std::move(split->responder_to_initiator)));
  co_return Result<void>{};
}

// Step 5: the package's chunks, in order from `frame` (the first), then the
// digest check and the package itself.
asio::awaitable<Result<v1::EnrollmentPackage>> TargetSession::receive_package(Result<v1::Frame> frame) {
  const auto& cfg = options_.config;
  std::string package_bytes;
  std::uint64_t total = 0;
  for (bool first = true;; first = false) {
    if (!first) frame = co_await channel_->read_sealed(cfg.idle_timeout);
    if (!frame) co_return fail(frame.error().code);
    if (!frame->has_package_chunk())
      co_return fail(Errc::unexpected_frame, first ? "expected PackageChunk or Authorization" : "expected PackageChunk");
    auto& c = *frame->mutable_package_chunk();
    if (first) {
      if (c.total() > cfg.max_package_size) co_return fail(Errc::package_too_large);
      total = c.total();
    }
    if (c.offset() != package_bytes.size() || c.total() != total)
      co_return fail(Errc::invalid_frame, "package chunk out of sequence");
    if (first && c.data().size() == total) {
      package_bytes = std::move(*c.mutable_data());  // one chunk: no copy
    } else {
      if (first) package_bytes.reserve(total);
      package_bytes.append(c.data());
    }
    if (options_.on_progress) options_.on_progress(package_bytes.size(), total);
    if (package_bytes.size() == total) {
      const auto digest = sha256(as_bytes(package_bytes));
      if (c.sha256().size() != digest.size() ||
          !std::equal(digest.begin(), digest.end(), reinterpret_cast<const std::uint8_t*>(c.sha256().data())))
        co_return fail(Errc::package_digest_mismatch);
      break;
    }
  }
  v1::EnrollmentPackage package;
  if (!package.ParseFromArray(package_bytes.data(), static_cast<int>(package_bytes.size())) ||
      package.package_id().empty())
    co_return fail(Errc::invalid_frame, "enrollment package does not parse or has no id");
  co_return package;
}

asio::awaitable<SessionReport> TargetSession::exchange() {
  auto& ch = *channel_;
  SessionReport report;
  // 1, 2. Hello and the handshake.
  if (auto keyed = co_await handshake(report); !keyed) co_return failure(keyed.error().code, keyed.error().detail);

  // 3. Claim and choice.
  if (auto ec = co_await ch.write_sealed(frames::enroll_request(options_.device, options_.profile_name)))
    co_return failure(ec);

  // 4. Authorization: a refusal, or the package's first chunk.
  auto frame = co_await ch.read_sealed(options_.config.idle_timeout);
  if (frame && frame->has_authorization()) {
    const auto& a = frame->authorization();
    ch.close_link();  // the primary ends the session with its own Close
    co_return failure(std::error_code(static_cast<int>(a.code()), kda_category()), "primary refused: " + a.reason());
  }

  // 5. The package.
  auto package = co_await receive_package(std::move(frame));
  if (!package) co_return failure(package.error().code, package.error().detail);
  report.info.profile_name = package->profile().name();
  report.info.package_id = package->package_id();

  // 6. Acknowledge, then the primary's Result.
  if (auto ec = co_await ch.write_sealed(frames::ack())) co_return failure(ec);
  auto result = co_await ch.read_sealed(options_.config.idle_timeout);
  if (!result) co_return failure(result.error().code, "package acknowledged but the primary's result never came");
  if (!result->has_result()) co_return failure(make_error_code(Errc::unexpected_frame), "expected Result");
  if (result->result().outcome() != v1::OUTCOME_PROVISIONED) {
    const auto code = result->result().code();
    auto r = failure(code != 0 ? std::error_code(static_cast<int>(code), kda_category())
                               : make_error_code(Errc::peer_error),
                     result->result().reason());
    r.outcome = result->result().outcome();
    co_return r;
  }
  report.outcome = v1::OUTCOME_PROVISIONED;
  report.package = std::move(*package);
  co_return report;
}

}  // namespace kda
