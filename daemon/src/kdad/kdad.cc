// kdad: the primary daemon of a kda staging desk.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <deque>
#include <map>
#include <set>

#include <openssl/rand.h>

#include "control_service.h"
#include "enrollment_service.h"
#include "http_api.h"
#include "kda/daemon/clock.h"
#include "kda/daemon/control_server.h"
#include "kda/core/frame_codec.h"
#include "kda/core/frames.h"
#include "kda/core/protobuf_log.h"
#include "kda/core/secret_memory.h"
#include "kda/core/session.h"
#include "kda/core/version.h"
#include "kda/core/host_port.h"
#include "kda/core/radio.h"
#include "kda/daemon/paths.h"
#include "../control/release_memory.h"
#include "primary_key.h"
#include "kda/daemon/config_reload.h"
#include "service_notify.h"
#include "startup.h"

namespace {

using namespace kda;
using namespace kda::daemon;

std::string new_session_id() {
  std::uint8_t bytes[4];
  RAND_bytes(bytes, sizeof bytes);
  return to_hex(ByteView(bytes, sizeof bytes));
}

class Daemon {
 public:
  Daemon(Config config, ConfigLoader load, std::string config_source, Log& log)
      : config_(std::move(config)), load_(std::move(load)), config_source_(std::move(config_source)), log_(log),
        signals_(io_, SIGINT, SIGTERM) {}

  int run() {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(config_.state_dir, ec);
    if (ec) return fail(config_.state_dir + ": cannot create the state directory: " + ec.message());
    ::chmod(config_.state_dir.c_str(), 0700);
    // One kdad per state directory: a second one would share the database
    // and fight over the socket.
    lock_fd_ = ::open((config_.state_dir + "/kdad.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      std::string holder;
      if (lock_fd_ >= 0) {
        char buf[32] = {};
        if (::pread(lock_fd_, buf, sizeof buf - 1, 0) > 0) holder = " (pid " + std::string(buf) + ")";
      }
      return fail(config_.state_dir + ": another kdad is using this state directory" + holder);
    }
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0)
      log_.warning(config_.state_dir + "/kdad.lock: cannot record the pid");

    auto key = load_or_create_primary_key(config_.state_dir + "/primary.key");
    if (!key) return fail(key.error().message());
    key_.emplace(*key);
    auto store = StateStore::open(store_location(config_));
    if (!store) return fail(store.error().message());
    (*store)->set_desk(primary_id(*key_), config_.name);
    auto outbox = Outbox::open(config_.state_dir + "/outbox.db");
    if (!outbox) return fail(outbox.error().message());
    outbox_ = std::move(*outbox);
    // Before the workers (one thread per connection), and the outbox first:
    // a transfer whose outcome it kept is no interrupted one.
    write_kept_outcomes(**store);
    close_interrupted_transfers(**store);
    if (auto ok = start_store_workers(std::move(*store)); !ok) return fail(ok.error().message());
    auto oob = load_or_create_oob_secret(config_.state_dir + "/oob.psk");
    if (!oob) return fail(oob.error().message());
    oob_secret_ = std::move(*oob);

    std::vector<std::string> profile_errors;
    auto catalog = Catalog::open({.store = store_location(config_), .state_profiles_dir = config_.state_dir + "/profiles",
                                  .dirs = config_.profile_dirs, .desk = config_.name, .home = io_.get_executor(),
                                  .note = [this](std::string_view line) { log_.info(line); }},
                                 profile_errors);
    if (!catalog) return fail(catalog.error().message());
    catalog_ = std::move(*catalog);
    for (const auto& e : profile_errors) log_.warning("profile skipped: " + e);
    for (const auto& [name, fields] : catalog_->placeholders(kDirectCustomer)) {
      std::string list;
      for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
      log_.warning("profile \"" + name + "\" still has example values (" + list +
                   "): replace them before enrolling real devices");
    }
    admission_.emplace(config_, log_);
    service_ = std::make_unique<EnrollmentService>(io_.get_executor(), *store_sessions_, *outbox_, *catalog_, config_,
                                                   *admission_, primary_id(*key_), log_);
    if (outbox_waiting_ > 0) service_->drain_outbox_soon();
    summarise_each_minute();

    if (auto ok = start_radios(); !ok) return fail(ok.error().message());
    if (auto ok = start_control(); !ok) return fail(ok.error().message());
    if (auto ok = start_http(); !ok) return fail(ok.error().message());

    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (!ec) stop(signal);
    });
    wait_for_reload();
    warn_if_exposed();
    log_.info("kdad \"" + config_.name + "\" " + std::string(kVersion) + " ready: primary " + primary_id(*key_) + ", state in " +
              config_.state_dir + ", configuration " + config_source_ + ", " +
              std::to_string(catalog_->list(kDirectCustomer).size()) + " profiles");
    notify_ready(service_status());
    io_.run();
    log_.info("stopped; state is in " + config_.state_dir);
    return 0;
  }

 private:
  int fail(const std::string& line) {
    log_.error(line);
    return 1;
  }

  // The sessions' worker and the admin's writer and reader, each with its
  // own connection; the companions are opened from the sessions' store
  // before its worker starts using it.
  Result<void> start_store_workers(std::unique_ptr<StateStore> store) {
    auto told = [this](std::int64_t id) {
      if (control_service_) control_service_->ledger_written(id);
    };
    auto writer = StoreWorker::start(*store, io_.get_executor(), StoreWorker::Role::writer, told);
    if (!writer) return tl::unexpected(writer.error());
    store_writer_ = std::move(*writer);
    auto reader = StoreWorker::start(*store, io_.get_executor(), StoreWorker::Role::reader);
    if (!reader) return tl::unexpected(reader.error());
    store_reader_ = std::move(*reader);
    store_sessions_ = StoreWorker::sessions(std::move(store), io_.get_executor(), told);
    return {};
  }

  // A transfer that was under way when kdad last stopped hard never got its
  // acknowledgement: the ledger says so instead of leaving it Provisioning.
  // In a fleet, only this desk's: another desk's transfer under way keeps
  // its live lease.
  // Outcomes the outbox kept while the store was away (the last run ended
  // before it came back), written now; what the store does not take yet is
  // left for the running desk's drain.
  void write_kept_outcomes(StateStore& store) {
    const std::size_t kept = outbox_->size().value_or(0);
    if (kept == 0) return;
    log_.warning("outbox: " + std::to_string(kept) + " outcomes kept while the store was away; writing them");
    std::vector<std::string> dropped;
    auto written = outbox_->drain(store, dropped);
    for (const auto& line : dropped) log_.error("outbox: the store refused a kept outcome: " + line);
    if (written)
      log_.info("outbox: " + std::to_string(*written) + " kept outcomes written");
    else
      log_.warning("outbox: the store is unavailable (" + written.error().message() + "); trying again once kdad runs");
    outbox_waiting_ = outbox_->size().value_or(0);
  }

  void close_interrupted_transfers(StateStore& store) {
    auto stuck = store.interrupted_transfers(primary_id(*key_), unix_ms());
    if (!stuck) return log_.warning("inventory: " + stuck.error().message());
    std::set<std::string> kept;  // their outcome waits in the outbox
    const auto waiting = outbox_->oldest(outbox_waiting_);
    if (waiting)
      for (const auto& k : *waiting) kept.insert(k.entry.device);
    for (const auto& d : *stuck) {
      if (kept.count(d.key)) continue;
      LedgerEntry e{.device = d.key, .state = DeviceState::failed, .transport = "kdad",
                    .reason = "kdad stopped during the transfer; no acknowledgement was received",
                    .primary = primary_id(*key_), .desk = config_.name};
      if (auto r = store.record(e); !r) log_.warning("ledger: " + r.error().message());
      else log_.warning("device " + d.key + ": transfer interrupted by the last stop, recorded as failed");
    }
  }

  // A phone accepted while the desk is full ([limits] max_sessions) waits
  // in `waiting_` and becomes a session when one ends, oldest first. Up to
  // kQueuePerSession phones per place wait here, beyond them in the
  // kernel's listen backlog, and beyond that they retry their SYN. kdad's
  // queue covers the gaps between those retries (a full backlog alone
  // leaves the desk idle while phones back off, and in a burst of 20,000
  // some give up connecting); kept bounded because a queued phone's
  // handshake clock runs.
  asio::awaitable<void> accept_loop(Listener& listener) {
    for (;;) {
      if (!co_await room_to_accept()) co_return;
      auto link = co_await listener.accept();
      if (!link) {
        if (link.error() == Errc::shutdown) co_return;
        log_.warning("accept on " + listener.describe() + ": " + link.error().message());
        continue;
      }
      if (stopping_) co_return;
      if (!admission_->admit_session((*link)->peer())) {
        refuse_link(std::move(*link), Errc::rate_limited);
        continue;
      }
      waiting_.push_back(std::move(*link));
      start_waiting_sessions();
    }
  }

  // Starts sessions for the phones that wait while the cap allows.
  void start_waiting_sessions() {
    while (!waiting_.empty() && admission_->has_room(sessions_.size())) {
      LinkPtr link = std::move(waiting_.front());
      waiting_.pop_front();
      const std::string id = new_session_id();
      const std::string peer = link->peer();
      PrimaryOptions options{.static_key = *key_, .psk = oob_secret_->copy()};
      auto session = PrimarySession::create(std::move(link), std::move(options), *service_, id);
      sessions_[id] = {session, unix_ms()};
      log_.debug("session " + id + ": " + peer + " connected (" + std::to_string(sessions_.size()) +
                 " under way)");
      peak_sessions_ = std::max(peak_sessions_, sessions_.size());
      admission_->session_started();
      asio::co_spawn(session->executor(), session->run(), [this, id](std::exception_ptr e, SessionReport) {
        if (e) log_.error("session " + id + ": internal error");
        asio::post(io_, [this, id] { session_ended(id); });
      });
    }
    admission_->sessions_changed(sessions_.size(), waiting_.size());
    watch_for_drain();
  }

  // While kdad's queue is full, or the links open (sessions and phones
  // waiting for one) use all descriptors but kSpareDescriptors. False when
  // kdad is stopping.
  asio::awaitable<bool> room_to_accept() {
    auto full = [this] {
      const std::size_t cap = config_.limits.max_sessions;
      return sessions_.size() + waiting_.size() >= accept_budget_ ||
             (cap > 0 && waiting_.size() >= kQueuePerSession * cap);
    };
    while (!stopping_ && full()) {
      boost::system::error_code ec;
      co_await room_.async_wait(with_ec(ec));  // cancelled when a session ends
    }
    co_return !stopping_;
  }

  // While the desk is saturated but has a free place, asks Admission again
  // until it says the queue has drained.
  void watch_for_drain() {
    if (drain_timer_armed_ || stopping_) return;
    const auto wait = admission_->check_drained();
    if (!wait) return;
    drain_timer_armed_ = true;
    drain_timer_.expires_after(*wait);
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      drain_timer_armed_ = false;
      if (!ec) watch_for_drain();
    });
  }

  // A link turned away before any session work: one clear Error frame says
  // why, then it closes.
  void refuse_link(LinkPtr link, Errc code) {
    auto owned = std::shared_ptr<Link>(std::move(link));
    auto executor = owned->executor();
    const Bytes bytes = serialize_frame(frames::error(code, make_error_code(code).message()));
    asio::co_spawn(executor, [owned, bytes]() -> asio::awaitable<void> {
      co_await owned->write_frame(bytes);
      owned->close();
    }, asio::detached);
  }

  // After a burst (thousands of phones, or a flood), the memory its
  // sessions used goes back to the system once the last one ends.
  void session_ended(const std::string& id) {
    sessions_.erase(id);
    log_.debug("session " + id + " ended (" + std::to_string(sessions_.size()) + " under way)");
    start_waiting_sessions();
    room_.cancel();
    if (!sessions_.empty() || peak_sessions_ < kBurstSessions) return;
    peak_sessions_ = 0;
    release_free_memory();
  }

  void summarise_each_minute() {
    summary_timer_.expires_after(std::chrono::minutes(1));
    summary_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      admission_->flush();
      notify_status(service_status());
      summarise_each_minute();
    });
  }

  // A radio that cannot start is reported and left out; kdad keeps serving
  // the others (a desk without its reader still enrolls over TCP), unless the
  // radio is required (TCP: a taken port stops kdad).
  Result<void> start_radios() {
    Advertisement ad{.protocol_version = kProtocolVersion, .primary_id = primary_id(*key_),
                     .profile_count = static_cast<std::uint32_t>(catalog_->list(kDirectCustomer).size()),
                     .name = config_.name};
    TransportLog radio_log = [this](TransportEvent level, std::string_view line) { log_.at(level, line); };
    for (const Radio* radio : built_in_radios()) {
      const std::string name(radio->config.name);
      const auto settings = config_.transports.find(name);
      if (!radio->start_primary || settings == config_.transports.end()) continue;
      if (!settings->second.enabled) {
        radio_status_[name] = "disabled";
        continue;
      }
      auto started = radio->start_primary({.io = io_, .settings = settings->second.settings,
                                           .admin_confirms = settings->second.confirm == ConfirmPolicy::admin,
                                           .advertisement = ad, .log = radio_log, .state_dir = config_.state_dir,
                                           .secret = radio_secret()});
      if (!started) {
        if (radio->required_when_enabled) return tl::unexpected(started.error());
        log_.error(started.error().message());
        radio_status_[name] = started.error().message();
        continue;
      }
      log_.info(name + ": listening on " + started->listener->describe() + " (confirm: " +
                (settings->second.confirm == ConfirmPolicy::admin ? "admin" : "proximity") + ")");
      asio::co_spawn(io_, accept_loop(*started->listener), asio::detached);
      radios_.emplace(name, std::move(*started));
    }
    return {};
  }

  // A radio's secret file in the state directory (a WPS PIN).
  std::function<Result<std::string>(std::string_view, const std::function<std::string()>&)> radio_secret() {
    return [dir = config_.state_dir](std::string_view file, const std::function<std::string()>& make) {
      return load_or_create_radio_secret(dir + "/" + std::string(file), make);
    };
  }

  // kdactl status's row for each radio kdad can start: what it is doing now
  // (waiting for bluetoothd, forming the group, listening), or why not.
  std::vector<v1::TransportStatus> transport_status() const {
    std::vector<v1::TransportStatus> out;
    for (const Radio* radio : built_in_radios()) {
      const std::string name(radio->config.name);
      const auto settings = config_.transports.find(name);
      if (!radio->start_primary || settings == config_.transports.end()) continue;
      const TransportSettings& t = settings->second;
      v1::TransportStatus s;
      s.set_name(name);
      s.set_enabled(t.enabled);
      s.set_confirm(t.confirm == ConfirmPolicy::admin ? "admin" : "proximity");
      if (auto running = radios_.find(name); running != radios_.end()) {
        s.set_address(running->second.address);
        s.set_detail(radio->status ? radio->status(*running->second.listener) : running->second.listener->describe());
      } else {
        const auto first = radio->config.keys.empty() ? t.settings.end() : t.settings.find(radio->config.keys[0].name);
        s.set_address(first != t.settings.end() ? first->second : "");
        auto why = radio_status_.find(name);
        s.set_detail(why != radio_status_.end() ? why->second : "");
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  // kdactl nfc tag: the first running radio whose reader can be a tag.
  Result<std::string> arm_tag(TagRequest request) {
    for (const Radio* radio : built_in_radios()) {
      auto running = radios_.find(std::string(radio->config.name));
      if (!radio->arm_tag || running == radios_.end()) continue;
      if (auto armed = radio->arm_tag(*running->second.listener, std::move(request)); !armed)
        return tl::unexpected(armed.error());
      return running->second.address;
    }
    return kda::fail(ControlErrc::bad_request, "kdad has no NFC reader running: enable [transports.nfc] with its connstring");
  }

  // kdactl nfc untag: false when no reader was armed.
  bool disarm_tag() {
    bool disarmed = false;
    for (const Radio* radio : built_in_radios()) {
      auto running = radios_.find(std::string(radio->config.name));
      if (radio->disarm_tag && running != radios_.end()) disarmed |= radio->disarm_tag(*running->second.listener);
    }
    return disarmed;
  }

  Result<void> start_control() {
    DaemonFacts facts{.name = config_.name, .version = std::string(kVersion), .state_dir = config_.state_dir,
                      .socket = config_.socket, .primary_key_hex = to_hex(key_->public_key())};
    facts.started_ms = started_ms_;
    facts.admission = &*admission_;
    facts.primary_id = primary_id(*key_);
    facts.config_file = config_source_;
    facts.executor = io_.get_executor();
    facts.transports = [this] { return transport_status(); };
    facts.arm_tag = [this](TagRequest request) { return arm_tag(std::move(request)); };
    facts.disarm_tag = [this] { return disarm_tag(); };
    facts.http = [this]() -> std::optional<v1::HttpStatus> {
      if (!http_) return std::nullopt;
      return http_->status();
    };
    control_service_ = std::make_unique<ControlService>(
        std::move(facts), *store_sessions_, *store_writer_, *store_reader_, *catalog_, *service_, config_,
        [this] {
          std::vector<LiveSession> out;
          for (const auto& [id, s] : sessions_) out.push_back({s.session->info(), s.started_ms});
          return out;
        },
        log_);
    control_service_->publish_sessions_each_while();
    ControlServerOptions options;
    options.path = config_.socket;
    options.connections_per_user = config_.limits.control_connections_per_user;
    options.access = config_.access;  // who gets which role ([access] grants)
    if (!config_.control_group.empty()) {
      auto gid = resolve_group(config_.control_group);
      if (!gid) return tl::unexpected(gid.error());
      options.group = *gid;
    }
    options.log = [this](TransportEvent level, std::string_view line) { log_.at(level, line); };
    auto server = ControlServer::start(io_.get_executor(), std::move(options), *control_service_);
    if (!server) return tl::unexpected(server.error());
    control_ = std::move(*server);
    log_.info("control socket " + config_.socket);
    return {};
  }

  // [http]: the HTTP API, a second door into the control service.
  Result<void> start_http() {
    if (config_.http.listen.empty()) return {};
    auto api = HttpApi::start(io_.get_executor(), config_, *control_service_, *store_reader_, started_ms_, log_);
    if (!api) return tl::unexpected(api.error());
    http_ = std::move(*api);
    return {};
  }

  // SIGHUP: the configuration and the profile directories again. What can
  // change live does; the rest is named as needing a restart; a bad file
  // leaves the running configuration as it was. Sessions go on untouched.
  void wait_for_reload() {
    reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload();
      wait_for_reload();
    });
  }

  void reload() {
    notify_reloading();
    auto next = load_();
    if (!next) {
      for (const auto& e : next.error()) log_.error("reload: " + e.message());
      log_.error("reload refused: the running configuration stays");
      notify_ready(service_status());
      return;
    }
    const ConfigReload changes = apply_reload(config_, *next);
    log_.set_level(Log::parse_level(config_.log_level));
    admission_->reconfigure();
    start_waiting_sessions();  // a new max_sessions: more may start, or the desk is saturated now
    if (std::count(changes.applied.begin(), changes.applied.end(), "limits.max_sessions"))
      check_open_file_limit(config_.limits.max_sessions, log_);
    std::vector<std::string> profile_errors;
    catalog_->reload_directories(config_.profile_dirs, profile_errors);
    for (const auto& e : profile_errors) log_.warning("profile skipped: " + e);
    auto join = [](const std::vector<std::string>& keys) {
      std::string out;
      for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
      return out;
    };
    std::string line = "reloaded " + config_source_ + ": " +
                       (changes.applied.empty() ? "no setting changed" : "applied " + join(changes.applied)) + "; " +
                       std::to_string(catalog_->list(kDirectCustomer).size()) + " profiles";
    if (!changes.needs_restart.empty()) line += "; needs a restart: " + join(changes.needs_restart);
    (changes.needs_restart.empty() ? log_.info(line) : log_.warning(line));
    warn_if_exposed();
    notify_ready(service_status());
  }

  // Proximity is a promise that only a device next to the desk can reach
  // it; a TCP listener beyond loopback breaks that promise.
  void warn_if_exposed() {
    const auto tcp = config_.transports.find("tcp");
    if (!radios_.count("tcp") || tcp->second.confirm != ConfirmPolicy::proximity) return;
    const std::string& listen = tcp->second.settings.at("listen");
    const auto hp = parse_host_port(listen);
    boost::system::error_code ec;
    const auto address = hp ? asio::ip::make_address(hp->host, ec) : asio::ip::address();
    if (hp && (hp->host == "localhost" || (!ec && address.is_loopback()))) return;
    log_.warning("tcp listens on " + listen +
                 ", beyond loopback, with confirm = \"proximity\": any host that reaches it can enroll a known device "
                 "without the admin's confirmation; set confirm = \"admin\" or listen on 127.0.0.1");
  }

  // systemctl status kdad shows this line.
  std::string service_status() const {
    std::string up;
    for (const Radio* radio : built_in_radios())
      if (radios_.count(std::string(radio->config.name))) up += (up.empty() ? "" : ", ") + std::string(radio->config.name);
    return (up.empty() ? std::string("no transport up") : up + " up") + "; " + std::to_string(sessions_.size()) +
           " sessions";
  }

  void stop(int signal) {
    notify_stopping();
    reload_signal_.cancel();
    log_.info(std::string("stopping (") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") + "): ending " +
              std::to_string(sessions_.size()) + " sessions");
    if (http_) http_->stop();  // its requests run on the control service
    if (control_) control_->close();
    for (auto& [name, radio] : radios_) {
      if (radio.advertiser) radio.advertiser->stop();
      radio.listener->close();
    }
    for (auto& [id, s] : sessions_) s.session->stop();
    if (service_) service_->stop();
    if (control_service_) control_service_->stop();
    stopping_ = true;
    waiting_.clear();
    room_.cancel();
    drain_timer_.cancel();
    summary_timer_.cancel();
    if (admission_) admission_->flush();
  }

  Config config_;
  ConfigLoader load_;
  std::string config_source_;  // the file, or "(embedded defaults)"
  Log& log_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::signal_set reload_signal_{io_, SIGHUP};
  std::optional<noise::Keypair> key_;
  std::unique_ptr<Catalog> catalog_;
  std::optional<Admission> admission_;
  asio::steady_timer summary_timer_{io_};
  std::unique_ptr<EnrollmentService> service_;
  std::map<std::string, PrimaryTransport> radios_;   // running, by name
  std::map<std::string, std::string> radio_status_;  // not running: disabled, or why not
  // The store is used on these threads only (store_worker.h): the io_context
  // never waits for it.
  // Used on the sessions' store worker (enrollment_outbox.cc): declared
  // first, so that it outlives the worker.
  std::unique_ptr<Outbox> outbox_;
  std::size_t outbox_waiting_ = 0;
  std::unique_ptr<StoreWorker> store_sessions_;
  std::unique_ptr<StoreWorker> store_writer_;
  std::unique_ptr<StoreWorker> store_reader_;
  std::unique_ptr<ControlService> control_service_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<HttpApi> http_;  // after the service: goes before it
  const std::int64_t started_ms_ = unix_ms();  // also the first half of the events' ids
  struct Running {
    std::shared_ptr<PrimarySession> session;
    std::int64_t started_ms = 0;
  };
  std::map<std::string, Running> sessions_;
  std::size_t peak_sessions_ = 0;
  std::deque<LinkPtr> waiting_;  // accepted while the desk was full, oldest first
  // A phone in the kernel's backlog is as connected, to it, as one in this
  // queue, and its clock runs the same; but a full backlog drops handshakes
  // and resets connections. kda-bench load, default cap: with 8 per place,
  // 20,000 phones at once overflowed the backlog 75,000 times and 1,644 were
  // reset; with 32 (so in practice the descriptors bound it) all 20,000 were
  // provisioned with no overflow, kdad peaking at 57 MiB (10,000: 51 MiB).
  static constexpr std::size_t kQueuePerSession = 32;
  const std::size_t accept_budget_ = descriptors_for_links();
  // Accept loops wait on it while no descriptor is to spare; cancel() wakes them all.
  asio::steady_timer room_{io_, asio::steady_timer::time_point::max()};
  asio::steady_timer drain_timer_{io_};
  bool drain_timer_armed_ = false;
  bool stopping_ = false;
  static constexpr std::size_t kBurstSessions = 64;
  int lock_fd_ = -1;
  std::optional<SecretKey> oob_secret_;  // in secret memory for the daemon's life
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (auto status = parse_flags(argc, argv, flags)) return *status;
  ConfigLoader load = config_loader(flags);
  const std::string source = flags.config.empty() ? "(embedded defaults)" : flags.config;
  auto config = load();
  if (!config) {
    for (const auto& e : config.error()) std::fprintf(stderr, "kdad: %s\n", e.message().c_str());
    return 2;
  }
  if (flags.check_only) {
    std::printf("kdad: %s: configuration is valid\n", source.c_str());
    auto store = describe_store(*config);
    if (!store) {
      std::fflush(stdout);
      std::fprintf(stderr, "kdad: %s\n", store.error().detail.c_str());
      return 2;
    }
    std::printf("kdad: %s\n", store->c_str());
    return 0;
  }
  if (!flags.import_store.empty()) return import_store_command(*config, flags.import_store);
  if (flags.migrate_store) return migrate_store_command(*config);
  std::signal(SIGPIPE, SIG_IGN);
  Log log(Log::parse_level(config->log_level));
  raise_open_file_limit();
  check_open_file_limit(config->limits.max_sessions, log);
  // Before any key is loaded: a core dump (or another process of this user
  // attaching) would otherwise hold the primary key, the PSK, tokens and
  // device passwords.
  if (!config->dumpable) {
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
      log.warning("cannot make kdad non-dumpable; core dumps may hold secrets");
  } else {
    log.warning("dumpable = true: core dumps of kdad hold keys, tokens and passwords; for debugging only");
  }
  // Also where OpenSSL keeps the private keys: at least twice a key per
  // handshake under way, so room for tens of thousands at once.
  if (!enable_secret_memory(std::size_t{8} << 20))
    log.warning("no secure heap; private keys and the PSK stay in ordinary memory");
  // A frame with invalid UTF-8 makes protobuf complain; a peer can send many.
  route_protobuf_log([&log](std::string_view line) { log.warning("protobuf: " + std::string(line)); });
  Daemon daemon(std::move(*config), std::move(load), source, log);
  const int status = daemon.run();
  route_protobuf_log({});  // `log` goes before the static objects protobuf may log from
  return status;
}
