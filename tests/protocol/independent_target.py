#!/usr/bin/env python3
"""An independent kda target (the device side of an enrollment), over TCP.

Written from docs/PROTOCOL.md (and proto/kda.proto for field numbers) only,
without reading the C++ sources, so that it checks the wire protocol as
documented rather than as implemented: Hello with Noise message 1, the
Noise_NX (or NXpsk2 with a PSK) handshake, ProfileOffer, EnrollRequest, the
sealed PackageChunk stream with its digest, Acknowledgement, Result, and the
farewell rules of section 14. Protobuf is encoded by hand; Noise is in
noise_nx.py. Standard library plus python3-cryptography.

  independent_target.py --connect 127.0.0.1:4711 --imei 356938035643809 \
      [--serial S] [--profile NAME] [--psk-file F] [--pin-key HEX]
prints the session's outcome as JSON; exit 0 when provisioned.
"""

import argparse
import hashlib
import json
import socket
import struct
import sys

from noise_nx import NoiseError, NXInitiator

MAX_FRAME = 65536
MAX_TEXT = 1024
MAX_PACKAGE = 16 * 1024 * 1024
HANDSHAKE_TIMEOUT, IDLE_TIMEOUT, CLOSE_TIMEOUT = 10.0, 30.0, 1.0
TRANSPORT_TCP, ROLE_TARGET, NOISE_NX, NOISE_NX_PSK2 = 2, 1, 1, 2
OUTCOMES = {1: "PROVISIONED", 2: "FAILED", 3: "CANCELLED", 4: "REJECTED"}

# Frame.body field numbers (section 3) and the layer each may travel in.
KINDS = {1: "hello", 2: "handshake", 3: "sealed", 4: "error",
         5: "profile_offer", 6: "enroll_request", 7: "authorization",
         8: "package_chunk", 9: "ack", 10: "result", 11: "keep_alive",
         12: "close"}
FIELD_OF = {name: number for number, name in KINDS.items()}
CLEAR_LAYER = {"hello", "handshake", "sealed", "error", "close"}
# Clear Error codes a keyed side still accepts before its first sealed frame
# (section 14.2): failures of handshake message 2 reported in clear.
CLEAR_ERROR_CODES = {101, 102, 103, 104, 200, 201}


class Ended(Exception):
    """The session ended with a kda error code (section 15). `farewell`:
    this side detected it and owes the peer an Error/Close (section 14.1)."""

    def __init__(self, code, reason, farewell=False):
        super().__init__("%d: %s" % (code, reason))
        self.code, self.reason, self.farewell = code, reason, farewell


def fail(code, reason):
    return Ended(code, reason, farewell=True)


# ---- protobuf wire format, by hand -------------------------------------

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, value):
    """One field, or b"" for a proto3 default (which is never written)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        if not value:
            return b""
        return varint(number << 3 | 2) + varint(len(value)) + bytes(value)
    if not value:
        return b""
    return varint(number << 3 | 0) + varint(int(value))


def submessage(number, body):
    """A message-typed field: written even when empty (`4a 00` is an Ack)."""
    return varint(number << 3 | 2) + varint(len(body)) + body


def read_varint(buf, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise fail(101, "truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value & ((1 << 64) - 1), pos


def decode(buf):
    """[(field number, wire type, value)] in wire order; varints as int,
    length-delimited as bytes; fixed-width fields are skipped (kda has none)."""
    fields, pos = [], 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise fail(101, "field number 0")
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            size, pos = read_varint(buf, pos)
            if pos + size > len(buf):
                raise fail(101, "truncated field")
            value, pos = bytes(buf[pos:pos + size]), pos + size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > len(buf):
                raise fail(101, "truncated field")
            continue
        else:
            raise fail(101, "unsupported wire type %d" % wire)
        fields.append((number, wire, value))
    return fields


class Msg:
    """Typed access to a decoded message; a wrong wire type is malformed."""

    def __init__(self, data):
        self.fields = decode(data)

    def _all(self, number, wire):
        values = [(w, v) for n, w, v in self.fields if n == number]
        if any(w != wire for w, _ in values):
            raise fail(101, "field %d has the wrong wire type" % number)
        return [v for _, v in values]

    def int(self, number):
        values = self._all(number, 0)
        return values[-1] if values else 0

    def bytes(self, number):
        values = self._all(number, 2)
        return values[-1] if values else b""

    def str(self, number):
        return _utf8(self.bytes(number))

    def strs(self, number):
        return [_utf8(v) for v in self._all(number, 2)]

    def msg(self, number):
        return Msg(self.bytes(number))

    def msgs(self, number):
        return [Msg(v) for v in self._all(number, 2)]


def _utf8(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(101, "invalid UTF-8 in a string field")


def parse_frame(body):
    """(kind, Msg of the body) for a serialized Frame (section 3)."""
    known = [(n, w, v) for n, w, v in decode(body) if n in KINDS]
    if not known:
        raise fail(102, "unknown frame type")
    number, wire, value = known[-1]  # oneof: the last body on the wire wins
    if wire != 2:
        raise fail(101, "frame body is not length-delimited")
    return KINDS[number], Msg(value)


def frame(kind, body):
    return submessage(FIELD_OF[kind], body)


# ---- validation of what a target receives (section 4) -------------------

def _check(ok, what):
    if not ok:
        raise fail(103, "invalid frame: " + what)


def validate(kind, m, sealed_layer):
    _check((kind in CLEAR_LAYER) != sealed_layer or kind in ("error", "close"),
           kind + " in the wrong layer")
    if kind == "handshake":
        _check(32 <= len(m.bytes(1)) <= 65535, "handshake size")
    elif kind == "sealed":
        _check(16 <= len(m.bytes(2)) <= 65535, "ciphertext size")
    elif kind == "error":
        _check(m.int(1) != 0 and len(m.bytes(2)) <= MAX_TEXT, "error")
        m.str(2)
    elif kind == "close":
        _check(len(m.bytes(2)) <= MAX_TEXT, "close reason")
        m.str(2)
    elif kind == "profile_offer":
        profiles = m.msgs(2)
        _check(len(profiles) <= 64, "too many profiles")
        for p in profiles:
            _check(0 < len(p.bytes(1)) <= MAX_TEXT, "profile name")
            _check(all(len(p.str(n).encode()) <= MAX_TEXT for n in (1, 2, 3)),
                   "profile text")
    elif kind == "authorization":
        _check(m.int(2) != 0 and len(m.bytes(3)) <= MAX_TEXT, "authorization")
        m.str(3)
    elif kind == "package_chunk":
        offset, total, data, digest = m.int(1), m.int(2), m.bytes(3), m.bytes(4)
        _check(1 <= total <= MAX_PACKAGE and offset < total, "chunk total")
        _check(0 < len(data) <= total - offset, "chunk data")
        last = offset + len(data) == total
        _check(len(digest) == (32 if last else 0), "chunk sha256")
    elif kind == "result":
        _check(m.int(1) != 0 and len(m.bytes(3)) <= MAX_TEXT, "result")
        m.str(3)


# ---- the link: 4-byte big-endian length, then the frame body -------------

class Link:
    def __init__(self, host, port):
        try:
            self.sock = socket.create_connection((host, port), timeout=10)
        except OSError as exc:
            raise Ended(402, "connect failed: %s" % exc)

    def _read_exact(self, size):
        data = bytearray()
        while len(data) < size:
            try:
                chunk = self.sock.recv(size - len(data))
            except socket.timeout:
                raise Ended(300, "timed out waiting for the primary")
            except OSError as exc:
                raise Ended(401, "link failed: %s" % exc)
            if not chunk:
                raise Ended(400, "link closed")
            data += chunk
        return bytes(data)

    def read(self, timeout):
        self.sock.settimeout(timeout)
        (length,) = struct.unpack(">I", self._read_exact(4))
        if length == 0:
            raise fail(101, "zero length prefix")
        if length > MAX_FRAME:  # checked before reading (allocating) the body
            raise fail(100, "frame too large")
        return self._read_exact(length)

    def write(self, body, timeout=IDLE_TIMEOUT):
        self.sock.settimeout(timeout)
        try:
            self.sock.sendall(struct.pack(">I", len(body)) + body)
        except socket.timeout:
            raise Ended(300, "timed out writing")
        except OSError as exc:
            raise Ended(401, "link failed: %s" % exc)

    def linger(self):
        """Section 14.3: read and drop until the peer closes or 1 s passes."""
        try:
            while self.read(CLOSE_TIMEOUT):
                pass
        except Ended:
            pass

    def close(self):
        self.sock.close()


# ---- the session ---------------------------------------------------------

def prologue(version, role, transport, pattern, capabilities=()):
    out = b"kda-v1" + struct.pack(">5I", version, role, transport, pattern,
                                  len(capabilities))
    for cap in capabilities:
        raw = cap.encode("utf-8")
        out += struct.pack(">I", len(raw)) + raw
    return out


def sas_code(handshake_hash):
    d = hashlib.sha256(b"kda-sas-v1" + handshake_hash).digest()
    return "%06d" % (struct.unpack(">I", d[:4])[0] % 1000000)


def hello(pattern, message_1):
    """Frame{hello} of a version-1 target on TCP, with no capabilities."""
    return frame("hello", field(1, 1) + field(2, ROLE_TARGET) +
                 field(3, TRANSPORT_TCP) + field(4, pattern) +
                 field(7, message_1))


def device_identity(imei=(), meid="", serial="", model="", os_version="",
                    wifi_mac="", manufacturer=""):
    return (b"".join(field(1, i) for i in imei) + field(2, meid) +
            field(3, serial) + field(4, model) + field(5, os_version) +
            field(6, wifi_mac) + field(7, manufacturer))


class TargetSession:
    def __init__(self, link, psk=None, pin=None):
        self.link, self.psk, self.pin = link, psk, pin
        self.send = self.receive = None  # transport ciphers once keyed
        self.got_sealed = False
        self.report = {}

    def write(self, kind, body):
        inner = frame(kind, body)
        if self.send is None:
            self.link.write(inner)
            return
        counter, ct = self.send.seal(inner)
        self.link.write(frame("sealed", field(1, counter) + field(2, ct)))

    def handshake(self):
        pattern = NOISE_NX_PSK2 if self.psk else NOISE_NX
        noise = NXInitiator(prologue(1, ROLE_TARGET, TRANSPORT_TCP, pattern),
                            self.psk)
        self.link.write(hello(pattern, noise.write_message_1()))
        kind, m = parse_frame(self.link.read(HANDSHAKE_TIMEOUT))
        validate(kind, m, sealed_layer=False)
        if kind in ("error", "close"):
            code = m.int(1) or 400
            raise Ended(code, m.str(2))
        if kind != "handshake":
            raise fail(104, "expected handshake message 2, got " + kind)
        try:
            payload = noise.read_message_2(m.bytes(1))
        except (NoiseError, ValueError):
            raise fail(200, "handshake failed")
        if self.pin is not None and noise.rs != self.pin:
            raise fail(201, "primary's static key does not match the pin")
        kind, offer = parse_frame(payload)
        validate(kind, offer, sealed_layer=True)
        if kind != "profile_offer":
            raise fail(104, "expected a ProfileOffer in message 2")
        self.send, self.receive, h = noise.split()
        self.report.update(
            sas=sas_code(h), primary_key=noise.rs.hex(),
            offered=[p.str(1) for p in offer.msgs(2)])

    def read_sealed(self):
        """The next inner frame that is not a KeepAlive (sections 8, 14.2)."""
        while True:
            kind, m = parse_frame(self.link.read(IDLE_TIMEOUT))
            validate(kind, m, sealed_layer=False)
            if kind == "error" and not self.got_sealed \
                    and m.int(1) in CLEAR_ERROR_CODES:
                raise Ended(m.int(1), m.str(2))
            if kind != "sealed":
                raise fail(104, "clear %s after keying" % kind)
            try:
                inner = self.receive.open(m.int(1), m.bytes(2))
            except ValueError as exc:
                raise fail(exc.args[0], "sealed frame refused")
            self.got_sealed = True
            kind, m = parse_frame(inner)
            validate(kind, m, sealed_layer=True)
            if kind == "error":
                raise Ended(m.int(1), m.str(2))
            if kind == "close":
                raise Ended(m.int(1) or 400, m.str(2))
            if kind != "keep_alive":
                return kind, m

    def receive_package(self, first):
        chunk, received, total = first, bytearray(), first.int(2)
        if total > MAX_PACKAGE:
            raise fail(304, "package too large")
        while True:
            if chunk.int(1) != len(received) or chunk.int(2) != total:
                raise fail(103, "package chunk out of sequence")
            received += chunk.bytes(3)
            if len(received) == total:
                break
            kind, chunk = self.read_sealed()
            if kind != "package_chunk":
                raise fail(104, "expected a package chunk, got " + kind)
        digest = hashlib.sha256(received).digest()
        if digest != chunk.bytes(4):
            raise fail(303, "package digest mismatch")
        package = Msg(bytes(received))
        if not package.str(1):
            raise fail(103, "package has no package_id")
        profile = package.msg(4)
        self.report.update(
            package_id=package.str(1), package_size=total,
            sha256=digest.hex(), digest_verified=True,
            profile=profile.str(1), company_name=profile.str(3),
            device_imei=package.msg(6).strs(1),
            provisioning_extras={e.str(1): e.str(2) for e in package.msgs(7)})

    def exchange(self, identity, profile_name=""):
        self.handshake()
        self.write("enroll_request",
                   submessage(1, identity) + field(2, profile_name))
        kind, m = self.read_sealed()
        if kind == "authorization":  # a refusal; the target just closes (T6)
            raise Ended(m.int(2), "primary refused: " + m.str(3))
        if kind != "package_chunk":
            raise fail(104, "expected the first package chunk, got " + kind)
        self.receive_package(m)
        self.write("ack", b"")
        kind, m = self.read_sealed()
        if kind != "result":
            raise fail(104, "expected Result, got " + kind)
        outcome = m.int(1)
        if outcome != 1:
            self.report["outcome"] = OUTCOMES.get(outcome, "FAILED")
            raise fail(m.int(2) or 305, m.str(3) or "peer reported a failure")

    def farewell(self, ended):
        """Section 14.1: one Error or Close, sealed once keyed; then linger."""
        kind = "close" if ended.code in (301, 302, 306) else "error"
        try:
            self.write(kind, field(1, ended.code) + field(2, ended.reason))
            self.link.linger()
        except Ended:
            pass


def enroll(host, port, identity, profile_name="", psk=None, pin=None):
    """One enrollment over TCP; returns a report dict (outcome, code, ...)."""
    link = None
    session = TargetSession(None, psk, pin)
    try:
        link = Link(host, port)
        session.link = link
        session.exchange(identity, profile_name)
        session.report.update(outcome="PROVISIONED", code=0, reason="")
    except Ended as ended:
        outcome = {301: "REJECTED", 302: "CANCELLED"}.get(ended.code, "FAILED")
        session.report.setdefault("outcome", outcome)
        session.report.update(code=ended.code, reason=ended.reason)
        if ended.farewell and link is not None:
            session.farewell(ended)
    finally:
        if link is not None:
            link.close()
    return session.report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connect", required=True, help="HOST:PORT of kdad")
    ap.add_argument("--imei", action="append", default=[])
    ap.add_argument("--meid", default="")
    ap.add_argument("--serial", default="")
    ap.add_argument("--model", default="Independent Target")
    ap.add_argument("--profile", default="")
    ap.add_argument("--psk-file", help="64 hex digits (kdad's oob.psk)")
    ap.add_argument("--pin-key", help="the primary's static key, 64 hex digits")
    args = ap.parse_args()
    host, _, port = args.connect.rpartition(":")
    psk = bytes.fromhex(open(args.psk_file).read().strip()) \
        if args.psk_file else None
    pin = bytes.fromhex(args.pin_key) if args.pin_key else None
    identity = device_identity(args.imei, args.meid, args.serial, args.model)
    report = enroll(host, int(port), identity, args.profile, psk, pin)
    print(json.dumps(report, indent=1))
    return 0 if report["outcome"] == "PROVISIONED" else 1


if __name__ == "__main__":
    sys.exit(main())
