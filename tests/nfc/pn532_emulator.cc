#include "pn532_emulator.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "pn532_frames.h"

namespace kda::test::pn532 {
namespace {

using Clock = std::chrono::steady_clock;

// PN532 command codes (user manual §7).
enum Cmd : std::uint8_t {
  Diagnose = 0x00,
  GetFirmwareVersion = 0x02,
  GetGeneralStatus = 0x04,
  ReadRegister = 0x06,
  WriteRegister = 0x08,
  SetParameters = 0x12,
  SAMConfiguration = 0x14,
  PowerDown = 0x16,
  RFConfiguration = 0x32,
  InDataExchange = 0x40,
  InCommunicateThru = 0x42,
  InDeselect = 0x44,
  InListPassiveTarget = 0x4A,
  InRelease = 0x52,
  InJumpForDEP = 0x56,
  InAutoPoll = 0x60,
  TgGetData = 0x86,
  TgInitAsTarget = 0x8C,
  TgSetData = 0x8E,
};

// Status bytes (user manual §7.1). Never with bit 0x80: libnfc aborts on it.
constexpr std::uint8_t kOk = 0x00;
constexpr std::uint8_t kRfTimeout = 0x01;
constexpr std::uint8_t kTargetReleased = 0x29;

// TgInitAsTarget's mode byte (user manual §7.3.14): PICC only restricts the
// chip to ISO/IEC 14443-4 card emulation; SEL_RES bit 0x20 announces it.
constexpr std::uint8_t kPiccOnly = 0x04;
constexpr std::uint8_t kSelResIso14443_4 = 0x20;

// How long an InJumpForDEP listens for a target before answering "timeout".
constexpr auto kJumpListenWindow = std::chrono::milliseconds(300);

std::string sys_error(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

struct Pn532Pair::Impl {
  struct Pending {
    std::uint8_t cmd = 0;
    Clock::time_point deadline{};
    Bytes nfcid3i, gi;         // InJumpForDEP
    std::uint8_t baud = 0, act_pass = 0;
    Bytes nfcid3t, gt;         // TgInitAsTarget
    std::uint8_t mode = 0;     // TgInitAsTarget
    Bytes mifare, tk;          // TgInitAsTarget: SENS_RES(2) NFCID1t(3) SEL_RES, historical bytes
    bool card() const { return (mode & kPiccOnly) && mifare.size() == 6 && (mifare[5] & kSelResIso14443_4); }
  };
  struct Chip {
    int index = 0;
    int master = -1, slave = -1, wake = -1;
    std::string path;
    std::thread thread;
    Bytes input;
    std::optional<Pending> pending;
    std::deque<std::pair<Clock::time_point, Bytes>> out;
    Bytes last_reply;
    std::map<std::uint16_t, std::uint8_t> registers;
    std::chrono::milliseconds delay{0};
    int corrupt = 0, nack = 0;
  };
  // A DEP link, or an ISO/IEC 14443-4 card link (tag mode): the same
  // exchanges (InDataExchange, TgGetData, TgSetData) move the bytes.
  struct DepLink {
    int initiator = -1, target = -1;
    std::optional<Bytes> to_target, to_initiator;
    bool broken = false;  // released by the initiator or field lost
    std::uint8_t broken_status = kTargetReleased;
  };

  std::mutex mu;
  std::array<Chip, 2> chips;
  std::optional<DepLink> link;
  bool field_lost = false;
  bool stopping = false;
  int exchanges = 0, activations = 0, card_activations = 0;
  int lose_at = 0;  // exchanges count at which the field goes, 0: never

  void open_chip(Chip& c) {
    c.master = posix_openpt(O_RDWR | O_NOCTTY);
    if (c.master < 0) throw std::runtime_error(sys_error("posix_openpt"));
    if (grantpt(c.master) != 0 || unlockpt(c.master) != 0) throw std::runtime_error(sys_error("grantpt/unlockpt"));
    std::array<char, 128> name{};
    if (ptsname_r(c.master, name.data(), name.size()) != 0) throw std::runtime_error(sys_error("ptsname_r"));
    c.path = name.data();
    // Holding the slave open keeps the master readable (no hangup) between
    // libnfc sessions; raw mode so nothing is echoed back into the chip.
    c.slave = ::open(c.path.c_str(), O_RDWR | O_NOCTTY);
    if (c.slave < 0) throw std::runtime_error(sys_error(("open " + c.path).c_str()));
    termios t{};
    tcgetattr(c.slave, &t);
    cfmakeraw(&t);
    tcsetattr(c.slave, TCSANOW, &t);
    c.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c.wake < 0) throw std::runtime_error(sys_error("eventfd"));
  }

  static void wake(Chip& c) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(c.wake, &one, sizeof one);
  }

  // --- replies (mu held) ---
  void send_raw(Chip& c, Bytes bytes) {
    c.out.emplace_back(Clock::now() + c.delay, std::move(bytes));
    wake(c);
  }
  void reply(Chip& c, std::uint8_t cmd, Bytes data) {
    data.insert(data.begin(), static_cast<std::uint8_t>(cmd + 1));
    const bool corrupt = c.corrupt > 0;
    if (corrupt) --c.corrupt;
    c.last_reply = reply_frame(data);
    send_raw(c, corrupt ? reply_frame(data, true) : c.last_reply);
  }
  Chip& peer(Chip& c) { return chips[1 - c.index]; }

  // --- the air (mu held) ---
  void break_link(std::uint8_t status) {
    if (!link || link->broken) return;
    link->broken = true;
    link->broken_status = status;
    evaluate(chips[0]);
    evaluate(chips[1]);
  }

  // Completes whatever `c` waits for, if the air now allows it.
  void evaluate(Chip& c) {
    if (!c.pending) return;
    Pending& p = *c.pending;
    switch (p.cmd) {
      case InJumpForDEP: {
        Chip& t = peer(c);
        if (!field_lost && t.pending && t.pending->cmd == TgInitAsTarget && !(t.pending->mode & kPiccOnly)) {
          activate(c, t);
        } else if (Clock::now() >= p.deadline) {
          c.pending.reset();
          reply(c, InJumpForDEP, {kRfTimeout});
        }
        break;
      }
      case TgInitAsTarget: {
        Chip& i = peer(c);
        if (i.pending && i.pending->cmd == InJumpForDEP) evaluate(i);
        break;
      }
      case InDataExchange:
        if (!link || link->initiator != c.index || link->broken) {
          c.pending.reset();
          reply(c, InDataExchange, {kRfTimeout});
        } else if (link->to_initiator) {
          Bytes data{kOk};
          data.insert(data.end(), link->to_initiator->begin(), link->to_initiator->end());
          link->to_initiator.reset();
          c.pending.reset();
          reply(c, InDataExchange, std::move(data));
        }
        break;
      case TgGetData:
        if (!link || link->target != c.index) {
          c.pending.reset();
          reply(c, TgGetData, {kTargetReleased});
        } else if (link->to_target) {
          Bytes data{kOk};
          data.insert(data.end(), link->to_target->begin(), link->to_target->end());
          link->to_target.reset();
          c.pending.reset();
          reply(c, TgGetData, std::move(data));
        } else if (link->broken) {
          c.pending.reset();
          reply(c, TgGetData, {link->broken_status});
        }
        break;
    }
  }

  void activate(Chip& i, Chip& t) {
    Pending jump = *i.pending, init = *t.pending;
    i.pending.reset();
    t.pending.reset();
    link = DepLink{i.index, t.index, {}, {}, false, kTargetReleased};
    ++activations;
    // The target learns the mode it was activated in and the ATR_REQ.
    const std::uint8_t baud = static_cast<std::uint8_t>((jump.baud & 0x03) << 4);
    const std::uint8_t framing = jump.act_pass ? 0x01 : (jump.baud == 0 ? 0x00 : 0x02);
    Bytes atr_req{0x00, 0xD4, 0x00};
    atr_req.insert(atr_req.end(), jump.nfcid3i.begin(), jump.nfcid3i.end());
    atr_req.insert(atr_req.end(), {0x00, 0x00, 0x00, static_cast<std::uint8_t>(jump.gi.empty() ? 0x30 : 0x32)});
    atr_req.insert(atr_req.end(), jump.gi.begin(), jump.gi.end());
    atr_req[0] = static_cast<std::uint8_t>(atr_req.size());
    Bytes to_target{static_cast<std::uint8_t>(0x04 | baud | framing)};
    to_target.insert(to_target.end(), atr_req.begin(), atr_req.end());
    reply(t, TgInitAsTarget, std::move(to_target));
    // The initiator gets the ATR_RES: Status, Tg, NFCID3t, DIDt, BSt, BRt, TO, PPt, Gt.
    Bytes atr_res{kOk, 0x01};
    atr_res.insert(atr_res.end(), init.nfcid3t.begin(), init.nfcid3t.end());
    atr_res.insert(atr_res.end(), {0x00, 0x00, 0x00, 0x0E, static_cast<std::uint8_t>(init.gt.empty() ? 0x30 : 0x32)});
    atr_res.insert(atr_res.end(), init.gt.begin(), init.gt.end());
    reply(i, InJumpForDEP, std::move(atr_res));
  }

  // --- commands (mu held) ---
  void execute(Chip& c, const Bytes& frame) {
    const std::uint8_t cmd = frame[0];
    const Bytes args(frame.begin() + 1, frame.end());
    switch (cmd) {
      case Diagnose:
        return reply(c, cmd, args);  // communication test: echo
      case GetFirmwareVersion:
        return reply(c, cmd, {0x32, 0x01, 0x06, 0x07});  // PN532 v1.6, ISO14443A/B + ISO18092
      case GetGeneralStatus:
        return reply(c, cmd, {0x00, static_cast<std::uint8_t>(link && !link->broken), 0x00, 0x00});
      case ReadRegister: {
        Bytes values;
        for (std::size_t k = 0; k + 1 < args.size(); k += 2)
          values.push_back(c.registers[static_cast<std::uint16_t>((args[k] << 8) | args[k + 1])]);
        return reply(c, cmd, values);
      }
      case WriteRegister:
        for (std::size_t k = 0; k + 2 < args.size(); k += 3)
          c.registers[static_cast<std::uint16_t>((args[k] << 8) | args[k + 1])] = args[k + 2];
        return reply(c, cmd, {});
      case SetParameters:
      case SAMConfiguration:
      case RFConfiguration:
        return reply(c, cmd, {});
      case PowerDown:
        return reply(c, cmd, {kOk});
      case InListPassiveTarget:
        return list_passive(c, args);
      case InAutoPoll:
        return reply(c, cmd, {0x00});  // passive polls: no target
      case InCommunicateThru:
        return reply(c, cmd, {kRfTimeout});  // raw frames (ISO14443B' probes): no card answers
      case InJumpForDEP:
        return start_jump(c, args);
      case InDataExchange: {
        if (link && link->initiator == c.index && !link->broken && args.size() >= 1) {
          link->to_target = Bytes(args.begin() + 1, args.end());
          if (++exchanges == lose_at) {
            field_lost = true;
            link->to_target.reset();
            break_link(kTargetReleased);
          }
        }
        c.pending = Pending{InDataExchange};
        evaluate(c);
        evaluate(peer(c));
        return;
      }
      case InDeselect:
      case InRelease:
        if (link && (link->initiator == c.index || link->target == c.index)) {
          break_link(kTargetReleased);
          link.reset();
        }
        return reply(c, cmd, {kOk});
      case TgInitAsTarget:
        return start_target(c, args);
      case TgGetData:
        c.pending = Pending{TgGetData};
        return evaluate(c);
      case TgSetData:
        if (!link || link->target != c.index || link->broken)
          return reply(c, cmd, {link && link->broken ? link->broken_status : kTargetReleased});
        link->to_initiator = args;
        reply(c, cmd, {kOk});
        return evaluate(chips[link->initiator]);
      default:
        return send_raw(c, syntax_error_frame());
    }
  }

  void start_jump(Chip& c, const Bytes& args) {
    if (args.size() < 3) return send_raw(c, syntax_error_frame());
    Pending p{InJumpForDEP, Clock::now() + kJumpListenWindow};
    p.act_pass = args[0];
    p.baud = args[1];
    const std::uint8_t next = args[2];
    std::size_t at = 3;
    if (next & 0x01) at += (p.baud == 0 ? 4 : 5);  // passive initiator data
    if (next & 0x02 && at + 10 <= args.size()) {
      p.nfcid3i.assign(args.begin() + static_cast<long>(at), args.begin() + static_cast<long>(at + 10));
      at += 10;
    } else {
      p.nfcid3i = {0x01, 0xFE, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0x00, static_cast<std::uint8_t>(c.index)};
    }
    if (next & 0x04 && at <= args.size()) p.gi.assign(args.begin() + static_cast<long>(at), args.end());
    if (link && link->initiator == c.index) link.reset();
    c.pending = p;
    evaluate(c);
  }

  void start_target(Chip& c, const Bytes& args) {
    // Mode, MIFARE params (6), FeliCa params (18), NFCID3t (10), LenGt, Gt, LenTk, Tk.
    if (args.size() < 36) return send_raw(c, syntax_error_frame());
    Pending p{TgInitAsTarget};
    p.mode = args[0];
    p.mifare.assign(args.begin() + 1, args.begin() + 7);
    p.nfcid3t.assign(args.begin() + 25, args.begin() + 35);
    const std::size_t gt_len = args[35];
    if (36 + gt_len <= args.size()) p.gt.assign(args.begin() + 36, args.begin() + 36 + static_cast<long>(gt_len));
    if (37 + gt_len <= args.size()) {
      const std::size_t tk_at = 37 + gt_len, tk_len = std::min<std::size_t>(args[36 + gt_len], args.size() - tk_at);
      p.tk.assign(args.begin() + static_cast<long>(tk_at), args.begin() + static_cast<long>(tk_at + tk_len));
    }
    if (link && link->target == c.index) link.reset();
    c.pending = p;
    evaluate(c);
  }

  // InListPassiveTarget at 106 kbps type A finds a chip waiting as an
  // ISO/IEC 14443-4 card, which the chip activates at once (RATS/ATS) as
  // a real PN532 does; anything else (type B, FeliCa, Jewel, no card): none.
  void list_passive(Chip& c, const Bytes& args) {
    Chip& t = peer(c);
    const bool type_a = args.size() >= 2 && args[1] == 0x00;
    if (!type_a || field_lost || !t.pending || t.pending->cmd != TgInitAsTarget || !t.pending->card())
      return reply(c, InListPassiveTarget, {0x00});
    const Pending card = *t.pending;
    t.pending.reset();
    link = DepLink{c.index, t.index, {}, {}, false, kTargetReleased};
    ++card_activations;
    // The target's mode byte: 106 kbps, ISO/IEC 14443-4 PICC; then the RATS it answered.
    reply(t, TgInitAsTarget, {0x08, 0xE0, 0x80});
    // NbTg, Tg, SENS_RES, SEL_RES, NFCID1 (4 bytes, 08 first as the PN532 makes
    // it), ATS: TL T0 (FSCI 8) TA TB TC, historical bytes.
    Bytes found{0x01, 0x01, card.mifare[1], card.mifare[0], card.mifare[5], 0x04, 0x08,
                card.mifare[2], card.mifare[3], card.mifare[4]};
    found.insert(found.end(), {static_cast<std::uint8_t>(5 + card.tk.size()), 0x78, 0x80, 0x70, 0x02});
    found.insert(found.end(), card.tk.begin(), card.tk.end());
    reply(c, InListPassiveTarget, std::move(found));
  }

  void on_frame(Chip& c, HostFrame frame) {
    std::lock_guard lock(mu);
    switch (frame.kind) {
      case HostFrame::Kind::ack:  // the host aborts the running command
        c.pending.reset();
        return;
      case HostFrame::Kind::nack:  // the host asks for the last reply again
        if (!c.last_reply.empty()) send_raw(c, c.last_reply);
        return;
      case HostFrame::Kind::command:
        if (c.nack > 0) {
          --c.nack;
          return send_raw(c, nack_frame());
        }
        c.pending.reset();  // a new command ends the one still running
        send_raw(c, ack_frame());
        return execute(c, frame.data);
    }
  }

  // --- chip thread ---
  void serve(Chip& c) {
    std::array<std::uint8_t, 512> buf{};
    while (true) {
      int timeout_ms = -1;
      {
        std::lock_guard lock(mu);
        if (stopping) return;
        evaluate(c);  // deadlines
        const auto now = Clock::now();
        while (!c.out.empty() && c.out.front().first <= now) {
          const Bytes& b = c.out.front().second;
          for (std::size_t done = 0; done < b.size();) {
            const auto n = ::write(c.master, b.data() + done, b.size() - done);
            if (n <= 0 && errno != EINTR) break;
            if (n > 0) done += static_cast<std::size_t>(n);
          }
          c.out.pop_front();
        }
        std::optional<Clock::time_point> next;
        if (!c.out.empty()) next = c.out.front().first;
        if (c.pending && c.pending->deadline != Clock::time_point{})
          next = next ? std::min(*next, c.pending->deadline) : c.pending->deadline;
        if (next)
          timeout_ms = static_cast<int>(
              std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count());
        if (next && timeout_ms < 0) timeout_ms = 0;
      }
      std::array<pollfd, 2> fds{{{c.master, POLLIN, 0}, {c.wake, POLLIN, 0}}};
      if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return;
      if (fds[1].revents & POLLIN) {
        std::uint64_t v;
        [[maybe_unused]] auto n = ::read(c.wake, &v, sizeof v);
      }
      if (fds[0].revents & POLLIN) {
        const auto n = ::read(c.master, buf.data(), buf.size());
        if (n > 0) {
          c.input.insert(c.input.end(), buf.begin(), buf.begin() + n);
          while (auto frame = take_host_frame(c.input)) on_frame(c, std::move(*frame));
        }
      }
    }
  }
};

Pn532Pair::Pn532Pair() : impl_(std::make_unique<Impl>()) {
  for (int i = 0; i < 2; ++i) {
    impl_->chips[i].index = i;
    impl_->open_chip(impl_->chips[i]);
  }
  for (auto& c : impl_->chips) c.thread = std::thread([this, &c] { impl_->serve(c); });
}

Pn532Pair::~Pn532Pair() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  for (auto& c : impl_->chips) {
    Impl::wake(c);
    if (c.thread.joinable()) c.thread.join();
    for (int fd : {c.master, c.slave, c.wake})
      if (fd >= 0) ::close(fd);
  }
}

std::string Pn532Pair::pty_path(int chip) const { return impl_->chips.at(chip).path; }

void Pn532Pair::lose_field() {
  std::lock_guard lock(impl_->mu);
  impl_->field_lost = true;
  impl_->break_link(kTargetReleased);
}

void Pn532Pair::restore_field() {
  std::lock_guard lock(impl_->mu);
  impl_->field_lost = false;
}

void Pn532Pair::lose_field_at_exchange(int n) {
  std::lock_guard lock(impl_->mu);
  impl_->lose_at = impl_->exchanges + n;
}

void Pn532Pair::set_reply_delay(int chip, std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mu);
  impl_->chips.at(chip).delay = delay;
}

void Pn532Pair::corrupt_replies(int chip, int count) {
  std::lock_guard lock(impl_->mu);
  impl_->chips.at(chip).corrupt += count;
}

void Pn532Pair::nack_commands(int chip, int count) {
  std::lock_guard lock(impl_->mu);
  impl_->chips.at(chip).nack += count;
}

int Pn532Pair::data_exchanges() const {
  std::lock_guard lock(impl_->mu);
  return impl_->exchanges;
}

int Pn532Pair::activations() const {
  std::lock_guard lock(impl_->mu);
  return impl_->activations;
}

int Pn532Pair::card_activations() const {
  std::lock_guard lock(impl_->mu);
  return impl_->card_activations;
}

}  // namespace kda::test::pn532
