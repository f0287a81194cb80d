#!/usr/bin/env python3
"""flood_peers.py - hostile peers for test_flood.sh, written from docs/protocol.md.

    flood_peers.py NET DATA_PORT SEARCH_PORT [SILENT PARKED ESTABLISHED SLOW]

Opens, all from loopback source addresses of NET (127.0.N), one kind per address
so that the node's log lines can be told apart:
  NET.3  SILENT connections that never send a byte          (data port)
  NET.4  PARKED plaintext connections that send the header of a 60,000-byte frame
         and all but one byte of it, before any hello       (data port)
  NET.5  ESTABLISHED plaintext connections that say hello and ping, then
         nothing; the last 100 only once the node answered all the others
                                                            (search port)
  NET.6  SLOW plaintext peers that say hello, then send sys.echo requests of
         64 KiB without ever reading an answer              (data port)
Prints "READY silent=.. parked=.. established=.. slow=.." once everything is
open (connections the node refused or closed are counted as they happened),
keeps the slow peers sending, opens another SILENT/6 silent connections for
each line "again" on stdin ("AGAIN silent=.."), and exits when stdin closes."""
import os
import resource
import select
import socket
import struct
import sys
import threading
import time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, value):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(value)
    return key + varint(len(value)) + value


def frame(body):
    return struct.pack(">I", len(body)) + body


def hello(node):
    h = field(1, 0, 1) + field(2, 2, node.encode()) + field(3, 2, b"flood") + field(4, 2, b"flood_peers.py")
    return frame(field(1, 0, 1) + field(2, 0, 1) + field(8, 2, h))


def request(rid, service, method, payload):
    return frame(field(1, 0, 1) + field(2, 0, 2) + field(3, 0, rid) + field(4, 2, service.encode())
                 + field(5, 2, method.encode()) + field(8, 2, payload))


def ping(rid):
    return frame(field(1, 0, 1) + field(2, 0, 6) + field(3, 0, rid))


def read_frames(s, n):
    """Reads n whole frames (the node's hello, our pong); False on a close or timeout."""
    try:
        for _ in range(n):
            hdr = b""
            while len(hdr) < 4:
                b = s.recv(4 - len(hdr))
                if not b:
                    return False
                hdr += b
            left = struct.unpack(">I", hdr)[0]
            while left:
                b = s.recv(min(left, 65536))
                if not b:
                    return False
                left -= len(b)
    except OSError:
        return False
    return True


def dial(src, port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.connect((dst, port))
    except OSError:
        s.close()
        return None
    return s


def main():
    global dst
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    net, data_port, search_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    n_silent, n_parked, n_est, n_slow = (int(x) for x in (sys.argv[4:8] or (3000, 200, 2100, 8)))
    dst = net + ".1"
    held = []
    counts = {}

    silent = [dial(net + ".3", data_port) for _ in range(n_silent)]
    counts["silent"] = sum(1 for s in silent if s)
    held += silent

    parked = 0
    body = b"\x00" * 59999
    for _ in range(n_parked):
        s = dial(net + ".4", data_port)
        if not s:
            continue
        try:
            s.sendall(struct.pack(">I", 60000) + body)
            parked += 1
        except OSError:
            pass
        held.append(s)
    counts["parked"] = parked

    est = 0
    first = []
    for i in range(n_est):
        if i == n_est - 100 or (i and i % 250 == 0):
            # in steps the node can answer (fewer in their hello at once than
            # max_opening): then it is full of established peers
            for f in first:
                read_frames(f, 2)
            first = []
        s = dial(net + ".5", search_port)
        if not s:
            continue
        try:
            s.sendall(hello("est%d" % i) + ping(1))
            est += 1
        except OSError:
            pass
        held.append(s)
        first.append(s)
    counts["established"] = est

    # slow readers: a tiny receive window, and they never read
    chunk = b"s" * 65536
    slow = []
    for i in range(n_slow):
        s = dial(net + ".6", data_port, rcvbuf=4096)
        if not s:
            continue
        s.setblocking(False)
        out = bytearray(hello("slow%d" % i))
        for rid in range(1, 257):
            out += request(rid, "sys", "echo", chunk)
        slow.append([s, memoryview(bytes(out)), 0])
    counts["slow"] = len(slow)
    print("READY " + " ".join("%s=%d" % kv for kv in counts.items()), flush=True)

    stop = threading.Event()

    def pump():
        while not stop.is_set():
            busy = [e for e in slow if e[2] < len(e[1])]
            if not busy:
                stop.wait(0.2)
                continue
            p = select.poll()
            for e in busy:
                p.register(e[0], select.POLLOUT)
            ready = {fd for fd, _ in p.poll(200)}
            for e in busy:
                if e[0].fileno() in ready:
                    try:
                        e[2] += e[0].send(e[1][e[2]:e[2] + 262144])
                    except BlockingIOError:
                        pass
                    except OSError:
                        e[2] = len(e[1])  # closed by the node: done

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    for line in sys.stdin:  # "again": another wave of silent connections
        if line.strip() == "again":
            wave = [dial(net + ".3", data_port) for _ in range(n_silent // 6)]
            held += wave
            print("AGAIN silent=%d" % sum(1 for w in wave if w), flush=True)
    stop.set()
    t.join(2)
    for s in held + [e[0] for e in slow]:
        if s:
            s.close()


if __name__ == "__main__":
    main()
