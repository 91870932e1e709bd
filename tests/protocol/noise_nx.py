"""The initiator side of Noise_NX / Noise_NXpsk2 (25519, ChaChaPoly, SHA256).

Part of the independent kda target (see independent_target.py): written from
the Noise Protocol Framework, revision 34, and docs/PROTOCOL.md section 7
only. Just the pieces a kda target needs: write message 1, read message 2,
split, and per-direction transport ciphers with explicit counters and the
rekey of PROTOCOL.md section 8.
"""

import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

HASHLEN = 32
DHLEN = 32
MAX_NONCE = 2**64 - 1


class NoiseError(Exception):
    """A message did not authenticate or had the wrong size."""


def _hash(data):
    return hashlib.sha256(data).digest()


def _hkdf(ck, ikm, outputs):
    # Noise section 4.3: HKDF with HMAC-SHA256, chaining key as the salt.
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out, prev = [], b""
    for i in range(1, outputs + 1):
        prev = hmac.new(temp, prev + bytes([i]), hashlib.sha256).digest()
        out.append(prev)
    return out


def _public(priv):
    return priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _nonce(n):
    # ChaChaPoly: 32 bits of zeros, then the 64-bit counter little-endian.
    return b"\x00" * 4 + n.to_bytes(8, "little")


def encrypt(k, n, ad, plaintext):
    return ChaCha20Poly1305(k).encrypt(_nonce(n), plaintext, ad)


def decrypt(k, n, ad, ciphertext):
    try:
        return ChaCha20Poly1305(k).decrypt(_nonce(n), ciphertext, ad)
    except Exception as exc:  # InvalidTag, or a ciphertext shorter than a tag
        raise NoiseError("decryption failed") from exc


def rekey(k):
    return encrypt(k, MAX_NONCE, b"", b"\x00" * 32)[:32]


class CipherState:
    def __init__(self, k=None):
        self.k = k
        self.n = 0

    def encrypt_with_ad(self, ad, plaintext):
        return self._apply(encrypt, ad, plaintext)

    def decrypt_with_ad(self, ad, ciphertext):
        return self._apply(decrypt, ad, ciphertext)

    def _apply(self, operation, ad, data):
        if self.k is None:  # no key yet: Noise sends the data as it is
            return data
        out = operation(self.k, self.n, ad, data)
        self.n += 1
        return out


class SymmetricState:
    def __init__(self, protocol_name):
        name = protocol_name.encode("ascii")
        if len(name) <= HASHLEN:
            self.h = name + b"\x00" * (HASHLEN - len(name))
        else:
            self.h = _hash(name)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_key(self, ikm):
        self.ck, temp_k = _hkdf(self.ck, ikm, 2)
        self.cipher = CipherState(temp_k)

    def mix_hash(self, data):
        self.h = _hash(self.h + data)

    def mix_key_and_hash(self, ikm):
        self.ck, temp_h, temp_k = _hkdf(self.ck, ikm, 3)
        self.mix_hash(temp_h)
        self.cipher = CipherState(temp_k)

    def encrypt_and_hash(self, plaintext):
        ct = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ciphertext):
        pt = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return pt

    def split(self):
        k1, k2 = _hkdf(self.ck, b"", 2)
        return k1, k2


class NXInitiator:
    """HandshakeState for `-> e` / `<- e, ee, s, es[, psk]`, initiator only."""

    def __init__(self, prologue, psk=None, ephemeral=None):
        pattern = "NXpsk2" if psk is not None else "NX"
        self.ss = SymmetricState("Noise_%s_25519_ChaChaPoly_SHA256" % pattern)
        self.ss.mix_hash(prologue)
        self.psk = psk
        self.e = ephemeral or X25519PrivateKey.generate()
        self.rs = None

    def write_message_1(self, payload=b""):
        e_pub = _public(self.e)
        self.ss.mix_hash(e_pub)
        if self.psk is not None:
            self.ss.mix_key(e_pub)  # Noise section 9.2: `e` also mixes the key
        return e_pub + self.ss.encrypt_and_hash(payload)

    def read_message_2(self, message):
        """Returns the payload; the responder's static key is then in `rs`."""
        s_len = DHLEN + 16
        if len(message) < DHLEN + s_len + 16:
            raise NoiseError("message 2 too short")
        re = message[:DHLEN]
        self.ss.mix_hash(re)
        if self.psk is not None:
            self.ss.mix_key(re)
        re_key = X25519PublicKey.from_public_bytes(re)
        self.ss.mix_key(self.e.exchange(re_key))                       # ee
        self.rs = self.ss.decrypt_and_hash(message[DHLEN:DHLEN + s_len])  # s
        rs_key = X25519PublicKey.from_public_bytes(self.rs)
        self.ss.mix_key(self.e.exchange(rs_key))                       # es
        if self.psk is not None:
            self.ss.mix_key_and_hash(self.psk)                         # psk
        return self.ss.decrypt_and_hash(message[DHLEN + s_len:])

    def split(self):
        """(send, receive) transport ciphers and the handshake hash."""
        k1, k2 = self.ss.split()
        return TransportCipher(k1), TransportCipher(k2), self.ss.h


REKEY_INTERVAL = 65536


class TransportCipher:
    """One direction of the secure channel (PROTOCOL.md section 8): the
    counter is explicit on the wire, and the key is rekeyed before every
    positive multiple of 65 536."""

    def __init__(self, k):
        self.k = k
        self.next = 0

    def _advance_key(self):
        if self.next and self.next % REKEY_INTERVAL == 0:
            self.k = rekey(self.k)

    def seal(self, plaintext):
        if self.next >= MAX_NONCE:
            raise NoiseError("counter exhausted")
        self._advance_key()
        counter = self.next
        ct = encrypt(self.k, counter, b"", plaintext)
        self.next += 1
        return counter, ct

    def open(self, counter, ciphertext):
        """Returns the plaintext, or raises ValueError(code) per section 8."""
        if counter < self.next:
            raise ValueError(204)
        if counter > self.next:
            raise ValueError(205)
        self._advance_key()
        try:
            pt = decrypt(self.k, counter, b"", ciphertext)
        except NoiseError:
            raise ValueError(203)
        self.next += 1
        return pt
