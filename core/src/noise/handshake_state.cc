// SymmetricState and HandshakeState (Noise sections 5.2, 5.3, 7 and 9),
// driven by the token table in protocol.cc.
#include <openssl/crypto.h>

#include <algorithm>

#include <utility>

#include "internal.h"
#include "kda/core/digest.h"

namespace kda::noise {
namespace {

using detail::PatternSpec;
using detail::Token;

class SymmetricState {
 public:
  explicit SymmetricState(Cipher cipher) : cipher_(cipher) {}
  SymmetricState(const SymmetricState&) = delete;
  SymmetricState& operator=(const SymmetricState&) = delete;
  ~SymmetricState() { OPENSSL_cleanse(ck_.data(), ck_.size()); }

  bool initialize(std::string_view protocol_name) {
    auto name = as_bytes(protocol_name);
    if (name.size() <= h_.size()) {
      h_.fill(0);
      std::copy(name.begin(), name.end(), h_.begin());
    } else {
      h_ = sha256(name);
    }
    ck_ = h_;
    return true;
  }

  bool mix_hash(ByteView data) {
    h_ = sha256(h_, data);
    return true;
  }

  bool mix_key(ByteView ikm) {
    Hash ck, k;
    bool ok = detail::hkdf(ck_, ikm, 2, ck, k, nullptr);
    if (ok) set_key(ck, k);
    OPENSSL_cleanse(ck.data(), ck.size());
    OPENSSL_cleanse(k.data(), k.size());
    return ok;
  }

  bool mix_key_and_hash(ByteView ikm) {
    Hash ck, temp_h, k;
    bool ok = detail::hkdf(ck_, ikm, 3, ck, temp_h, &k) && mix_hash(temp_h);
    if (ok) set_key(ck, k);
    OPENSSL_cleanse(ck.data(), ck.size());
    OPENSSL_cleanse(k.data(), k.size());
    return ok;
  }

  bool has_key() const { return cs_.has_value(); }

  // Appends ENCRYPT(plaintext) (or the plaintext before any key) to out.
  Result<void> encrypt_and_hash(ByteView plaintext, Bytes& out) {
    std::size_t at = out.size();
    if (cs_) {
      auto ct = cs_->encrypt(n_++, h_, plaintext);
      if (!ct) return tl::unexpected(ct.error());
      out.insert(out.end(), ct->begin(), ct->end());
    } else {
      out.insert(out.end(), plaintext.begin(), plaintext.end());
    }
    if (!mix_hash(ByteView(out).subspan(at))) return fail(Errc::internal_error);
    return {};
  }

  Result<Bytes> decrypt_and_hash(ByteView ciphertext) {
    Bytes plaintext;
    if (cs_) {
      auto pt = cs_->decrypt(n_++, h_, ciphertext);
      if (!pt) {
        if (pt.error() == Errc::decrypt_failed) return fail(Errc::handshake_failed);
        return tl::unexpected(pt.error());
      }
      plaintext = std::move(*pt);
    } else {
      plaintext.assign(ciphertext.begin(), ciphertext.end());
    }
    if (!mix_hash(ciphertext)) return fail(Errc::internal_error);
    return plaintext;
  }

  bool split(Key& k1, Key& k2) { return detail::hkdf(ck_, {}, 2, k1, k2, nullptr); }
  // The handshake's cipher context, for Split to re-key rather than allocate
  // anew (no message is encrypted after Split).
  std::optional<CipherState> take_cipher() { return std::exchange(cs_, std::nullopt); }

  const Hash& h() const { return h_; }

 private:
  void set_key(const Hash& ck, const Key& k) {
    ck_ = ck;
    // Re-keying the context keeps its allocation across the handshake's MixKeys.
    if (cs_) cs_->set_key(k);
    else cs_.emplace(cipher_, k);
    n_ = 0;
  }

  Cipher cipher_;
  Hash ck_{};
  Hash h_{};
  std::optional<CipherState> cs_;
  std::uint64_t n_ = 0;
};

bool writes(std::size_t message_index, Role role) {
  return (message_index % 2 == 0) == (role == Role::initiator);
}

bool has_token(const PatternSpec& spec, Role writer, Token token) {
  for (std::size_t m = 0; m < spec.message_count; ++m) {
    if (!writes(m, writer)) continue;
    const auto& msg = spec.messages[m];
    if (std::find(msg.tokens, msg.tokens + msg.count, token) != msg.tokens + msg.count)
      return true;
  }
  return false;
}

Role other(Role r) { return r == Role::initiator ? Role::responder : Role::initiator; }

}  // namespace

struct HandshakeState::Impl {
  Impl(const PatternSpec& s, HandshakeOptions&& o)
      : spec(s), opts(std::move(o)), ss(opts.protocol.cipher), psk_mode(opts.protocol.uses_psk()) {}
  ~Impl() {
    if (opts.psk) OPENSSL_cleanse(opts.psk->data(), opts.psk->size());
  }

  const PatternSpec& spec;
  HandshakeOptions opts;  // local_static is "s"; remote_static a pin or pre-message
  SymmetricState ss;
  const bool psk_mode;  // section 9: "e" tokens also call MixKey
  std::optional<Keypair> e;
  std::optional<PublicKey> re;
  std::optional<PublicKey> rs;
  std::size_t next = 0;  // index of the next handshake message
  bool failed = false;

  bool initiator() const { return opts.role == Role::initiator; }

  // Runs one DH token and mixes the result into the chaining key.
  Result<void> mix_dh(Token t) {
    const bool init = initiator();
    const std::optional<Keypair>* local = nullptr;
    const std::optional<PublicKey>* remote = nullptr;
    switch (t) {
      case Token::ee: local = &e, remote = &re; break;
      case Token::es: local = init ? &e : &opts.local_static, remote = init ? &rs : &re; break;
      case Token::se: local = init ? &opts.local_static : &e, remote = init ? &re : &rs; break;
      case Token::ss: local = &opts.local_static, remote = &rs; break;
      default: return fail(Errc::internal_error);
    }
    if (!local->has_value() || !remote->has_value()) return fail(Errc::handshake_failed);
    auto shared = dh(**local, **remote);
    if (!shared) return tl::unexpected(shared.error());
    bool ok = ss.mix_key(*shared);
    OPENSSL_cleanse(shared->data(), shared->size());
    if (!ok) return fail(Errc::internal_error);
    return {};
  }

  // Exact size of the next message we write: lets write_message refuse an
  // oversized payload before it touches any state.
  std::size_t written_size(std::size_t payload) const {
    bool keyed = ss.has_key();
    std::size_t size = 0;
    const auto& msg = spec.messages[next];
    for (std::size_t i = 0; i < msg.count; ++i) {
      switch (msg.tokens[i]) {
        case Token::e: size += kDhLen; keyed = keyed || psk_mode; break;
        case Token::s: size += kDhLen + (keyed ? kTagLen : 0); break;
        default: keyed = true; break;
      }
    }
    return size + payload + (keyed ? kTagLen : 0);
  }

  Result<void> write_tokens(ByteView payload, Bytes& out) {
    const auto& msg = spec.messages[next];
    for (std::size_t i = 0; i < msg.count; ++i) {
      switch (const Token t = msg.tokens[i]) {
        case Token::e: {
          if (opts.fixed_ephemeral) {
            e = std::move(opts.fixed_ephemeral);
            opts.fixed_ephemeral.reset();
          } else {
            auto fresh = Keypair::generate();
            if (!fresh) return tl::unexpected(fresh.error());
            e = std::move(*fresh);
          }
          const auto& pub = e->public_key();
          out.insert(out.end(), pub.begin(), pub.end());
          if (!ss.mix_hash(pub) || (psk_mode && !ss.mix_key(pub)))
            return fail(Errc::internal_error);
          break;
        }
        case Token::s: {
          if (!opts.local_static) return fail(Errc::handshake_failed);
          auto r = ss.encrypt_and_hash(opts.local_static->public_key(), out);
          if (!r) return r;
          break;
        }
        case Token::psk:
          if (!opts.psk || !ss.mix_key_and_hash(*opts.psk)) return fail(Errc::internal_error);
          break;
        default: {
          auto r = mix_dh(t);
          if (!r) return r;
        }
      }
    }
    return ss.encrypt_and_hash(payload, out);
  }

  Result<Bytes> read_tokens(ByteView in) {
    const auto& msg = spec.messages[next];
    for (std::size_t i = 0; i < msg.count; ++i) {
      switch (const Token t = msg.tokens[i]) {
        case Token::e: {
          if (in.size() < kDhLen) return fail(Errc::invalid_frame);
          re.emplace();
          std::copy(in.begin(), in.begin() + kDhLen, re->begin());
          if (!ss.mix_hash(in.first(kDhLen)) || (psk_mode && !ss.mix_key(in.first(kDhLen))))
            return fail(Errc::internal_error);
          in = in.subspan(kDhLen);
          break;
        }
        case Token::s: {
          const std::size_t len = kDhLen + (ss.has_key() ? kTagLen : 0);
          if (in.size() < len) return fail(Errc::invalid_frame);
          auto key = ss.decrypt_and_hash(in.first(len));
          if (!key) return tl::unexpected(key.error());
          in = in.subspan(len);
          PublicKey received;
          std::copy(key->begin(), key->end(), received.begin());
          // A pinned key (given for a key the peer sends) must match.
          if (opts.remote_static &&
              CRYPTO_memcmp(received.data(), opts.remote_static->data(), kDhLen) != 0)
            return fail(Errc::peer_key_mismatch);
          rs = received;
          break;
        }
        case Token::psk:
          if (!opts.psk || !ss.mix_key_and_hash(*opts.psk)) return fail(Errc::internal_error);
          break;
        default: {
          auto r = mix_dh(t);
          if (!r) return tl::unexpected(r.error());
        }
      }
    }
    return ss.decrypt_and_hash(in);
  }
};

Result<HandshakeState> HandshakeState::create(HandshakeOptions options) {
  const PatternSpec* spec = detail::pattern_spec(options.protocol.pattern);
  if (spec == nullptr || (options.protocol.cipher != Cipher::ChaChaPoly &&
                          options.protocol.cipher != Cipher::AESGCM))
    return fail(Errc::handshake_failed);
  const Role me = options.role;
  const bool uses_psk = options.protocol.uses_psk();
  if (uses_psk && !options.psk) return fail(Errc::psk_required);
  // A psk or pin the pattern cannot use would give a false sense of security.
  if (!uses_psk && options.psk) return fail(Errc::handshake_failed);

  const bool pre_rs = spec->responder_static_premessage;
  const bool need_local_s = (pre_rs && me == Role::responder) || has_token(*spec, me, Token::s);
  const bool need_remote_s = pre_rs && me == Role::initiator;
  const bool peer_has_s = need_remote_s || has_token(*spec, other(me), Token::s);
  if (need_local_s && !options.local_static) return fail(Errc::handshake_failed);
  if (need_remote_s && !options.remote_static) return fail(Errc::handshake_failed);
  if (options.remote_static && !peer_has_s) return fail(Errc::handshake_failed);

  const std::string name = options.protocol.name();
  auto impl = std::make_unique<Impl>(*spec, std::move(options));
  // A moved-from optional still holds its value.
  if (options.psk) OPENSSL_cleanse(options.psk->data(), options.psk->size());
  auto& ss = impl->ss;
  if (!ss.initialize(name) || !ss.mix_hash(impl->opts.prologue))
    return fail(Errc::internal_error);
  // Pre-message "<- s": both sides hash the responder's static key.
  if (pre_rs) {
    if (me == Role::initiator) {
      impl->rs = impl->opts.remote_static;
      if (!ss.mix_hash(*impl->rs)) return fail(Errc::internal_error);
    } else if (!ss.mix_hash(impl->opts.local_static->public_key())) {
      return fail(Errc::internal_error);
    }
  }
  return HandshakeState(std::move(impl));
}

HandshakeState::HandshakeState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HandshakeState::HandshakeState(HandshakeState&&) noexcept = default;
HandshakeState& HandshakeState::operator=(HandshakeState&&) noexcept = default;
HandshakeState::~HandshakeState() = default;

Result<Bytes> HandshakeState::write_message(ByteView payload) {
  // Refusals here leave the state as it was: they are the caller's mistakes.
  if (!is_my_turn()) return fail(Errc::handshake_failed);
  const std::size_t size = impl_->written_size(payload.size());
  if (size > kMaxMessageLen) return fail(Errc::invalid_frame);
  Bytes out;
  out.reserve(size);
  auto r = impl_->write_tokens(payload, out);
  if (!r) {
    impl_->failed = true;
    return tl::unexpected(r.error());
  }
  ++impl_->next;
  return out;
}

Result<Bytes> HandshakeState::read_message(ByteView message) {
  if (!impl_ || impl_->failed) return fail(Errc::handshake_failed);
  auto r = [&]() -> Result<Bytes> {
    if (complete() || is_my_turn()) return fail(Errc::handshake_failed);
    if (message.size() > kMaxMessageLen) return fail(Errc::invalid_frame);
    return impl_->read_tokens(message);
  }();
  if (!r) {
    impl_->failed = true;
    return r;
  }
  ++impl_->next;
  return r;
}

bool HandshakeState::is_my_turn() const {
  return impl_ && !impl_->failed && !complete() && writes(impl_->next, impl_->opts.role);
}

bool HandshakeState::complete() const {
  return impl_ && !impl_->failed && impl_->next >= impl_->spec.message_count;
}

const Hash& HandshakeState::handshake_hash() const { return impl_->ss.h(); }

std::optional<PublicKey> HandshakeState::remote_static() const {
  if (!impl_ || impl_->failed) return std::nullopt;
  return impl_->rs;
}

Result<HandshakeState::Split> HandshakeState::split() {
  if (!complete()) return fail(Errc::handshake_failed);
  Key k1, k2;
  if (!impl_->ss.split(k1, k2)) return fail(Errc::internal_error);
  const Cipher c = impl_->opts.protocol.cipher;
  auto first = impl_->ss.take_cipher();
  if (first) first->set_key(k1);
  else first.emplace(c, k1);
  Split out{std::move(*first), CipherState(c, k2)};
  OPENSSL_cleanse(k1.data(), k1.size());
  OPENSSL_cleanse(k2.data(), k2.size());
  return out;
}

}  // namespace kda::noise
