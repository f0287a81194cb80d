#!/usr/bin/env python3
"""stall_peers.py - peers for test_read_cap.sh that park large partial frames.

    stall_peers.py SRC DST PORT CONNS ANNOUNCE SEND

From loopback address SRC, opens CONNS plaintext connections to DST:PORT, one
after the other; each says hello, waits for the node's hello, then sends the
header of a REQUEST frame of ANNOUNCE bytes and SEND bytes of it (SEND <
ANNOUNCE) and stops there. Prints "READY conns=N" once all are open, then for
each connection the node closes "CLOSED i status=S message=M" (S the status of
the ERROR frame it sent first, or "none"), and exits when stdin closes or
every connection is closed; "DONE closed=N" last."""
import os
import select
import socket
import struct
import sys

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


def main():
    src, dst, port, conns, announce, send = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    # the rest of a REQUEST envelope never comes: only its first bytes matter
    head = field(1, 0, 1) + field(2, 0, 2) + field(3, 0, 1)
    body = head + b"\0" * (send - len(head))
    socks = []
    for i in range(conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(5)
        s.connect((dst, port))
        s.sendall(hello("stall%d" % i))
        if not read_frames(s, 1):
            print("CLOSED %d status=none message=no hello" % i, flush=True)
            continue
        s.sendall(struct.pack(">I", announce))
        s.setblocking(False)
        view, left = memoryview(body), len(body)
        # what the node does not read stays in the kernel's buffers: send
        # what it takes within a second and go on to the next connection
        deadline = 1.0
        while left:
            _, w, _ = select.select([], [s], [], deadline)
            if not w:
                break
            try:
                n = s.send(view[len(body) - left:])
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
