#!/usr/bin/env python3
"""stall_peers.py - peers for test_read_cap.sh that park large partial frames.

    stall_peers.py [--tls PEM] SRC DST PORT CONNS ANNOUNCE SEND

From loopback address SRC, opens CONNS plaintext connections to DST:PORT, one
after the other; each says hello, waits for the node's hello, then sends the
header of a REQUEST frame of ANNOUNCE bytes and SEND bytes of it (SEND <
ANNOUNCE) and stops there. Prints "READY conns=N" once all are open, then for
each connection the node closes "CLOSED i status=S message=M" (S the status of
the ERROR frame it sent first, or "none"), and exits when stdin closes or
every connection is closed; "DONE closed=N" last.

With --tls PEM the connections are mutual TLS 1.2 with the certificate and key
in PEM (a node's HOME/security/node.crt), and the frame's first TCP write
carries its first TLS record and half the next: a node that then waits for
room in its read budget holds half a record in its record layer."""
import os
import select
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flood_peers import field, frame, hello, read_frames  # noqa: E402


def varint_at(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def error_of(body):
    """(status, message) of an ERROR envelope (protocol.md 4: status field 6,
    message field 7), or None."""
    i, status, msg, kind = 0, None, b"", None
    try:
        while i < len(body):
            key, i = varint_at(body, i)
            num, wire = key >> 3, key & 7
            if wire == 0:
                v, i = varint_at(body, i)
                if num == 2:
                    kind = v
                elif num == 6:
                    status = (v >> 1) ^ -(v & 1)  # sint32: zigzag
            elif wire == 2:
                n, i = varint_at(body, i)
                if num == 7:
                    msg = body[i:i + n]
                i += n
            else:
                return None
    except IndexError:
        return None
    return (status, msg.decode(errors="replace")) if kind == 5 else None


class TlsPeer:
    """A mutual TLS 1.2 client over memory BIOs, so that the test decides
    where the TCP writes cut the TLS records: sealed() gives the records of
    some bytes, for the plain socket to send as the test likes."""

    def __init__(self, sock, pem):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the node is not what is tested here
        ctx.load_cert_chain(pem)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.sock, self.rx, self.tx = sock, ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.rx, self.tx)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._fill():
                    raise OSError("the node closed during the TLS handshake")
        self._flush()

    def _flush(self):
        out = self.tx.read()
        if out:
            self.sock.sendall(out)

    def _fill(self):
        """False when the node closed; raises BlockingIOError when nothing is there."""
        b = self.sock.recv(65536)
        if not b:
            self.rx.write_eof()
            return False
        self.rx.write(b)
        return True

    def sealed(self, data):
        self.tls.write(data)
        return self.tx.read()

    def sendall(self, data):
        self.sock.sendall(self.sealed(data))

    def recv(self, n):
        """b"" at the end; raises BlockingIOError when a non-blocking socket has nothing."""
        while True:
            try:
                return self.tls.read(n)
            except ssl.SSLWantReadError:
                if not self._fill():
                    return b""
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def fileno(self):
        return self.sock.fileno()

    def setblocking(self, flag):
        self.sock.setblocking(flag)

    def close(self):
        self.sock.close()


def main():
    args = sys.argv[1:]
    pem = None
    if args[:1] == ["--tls"]:
        pem = args[1]
        args = args[2:]
    src, dst, port, conns, announce, send = args[0], args[1], int(args[2]), \
        int(args[3]), int(args[4]), int(args[5])
    # the rest of a REQUEST envelope never comes: only its first bytes matter
    head = field(1, 0, 1) + field(2, 0, 2) + field(3, 0, 1)
    body = head + b"\0" * (send - len(head))
    # the header and the start of the body in one write: over TLS they share
    # a record, so the node sees the announced size only with body bytes
    data = struct.pack(">I", announce) + body
    socks = []
    for i in range(conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(5)
        s.connect((dst, port))
        if pem:
            s = TlsPeer(s, pem)
        s.sendall(hello("stall%d" % i))
        if not read_frames(s, 1):
            print("CLOSED %d status=none message=no hello" % i, flush=True)
            continue
        wire = data
        if pem:
            # a first write of one record and half the next: the node reads
            # the announced size with half a record, which its record layer
            # keeps while the connection waits for room
            wire = s.sealed(data)
            rec = 5 + struct.unpack(">H", wire[3:5])[0]
            s.sock.sendall(wire[:rec + rec // 2])
            wire = wire[rec + rec // 2:]
            time.sleep(0.05)
        s.setblocking(False)
        raw = s.sock if pem else s
        view, left = memoryview(wire), len(wire)
        # what the node does not read stays in the kernel's buffers: send
        # what it takes within a second and go on to the next connection
        deadline = 1.0
        while left:
            _, w, _ = select.select([], [raw], [], deadline)
            if not w:
                break
            try:
                n = raw.send(view[len(wire) - left:])
            except OSError:
                break
            left -= n
        socks.append((i, s, bytearray()))
    print("READY conns=%d" % len(socks), flush=True)
    closed = 0
    live = {s.fileno(): (i, s, buf) for i, s, buf in socks}
    while live:
        r, _, _ = select.select(list(live) + [sys.stdin.fileno()], [], [], 60)
        if not r:
            break
        if sys.stdin.fileno() in r and not os.read(sys.stdin.fileno(), 4096):
            break
        for fd in r:
            if fd not in live:
                continue
            i, s, buf = live[fd]
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            buf += b
            if b:
                continue
            status, msg, at = "none", "", 0
            while len(buf) >= at + 4:  # the node's frames up to its close
                n = struct.unpack(">I", buf[at:at + 4])[0]
                if len(buf) < at + 4 + n:
                    break
                e = error_of(bytes(buf[at + 4:at + 4 + n]))
                at += 4 + n
                if e:
                    status, msg = e
                    break
            print("CLOSED %d status=%s message=%s" % (i, status, msg), flush=True)
            closed += 1
            s.close()
            del live[fd]
    print("DONE closed=%d" % closed, flush=True)


if __name__ == "__main__":
    main()
