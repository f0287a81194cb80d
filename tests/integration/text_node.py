#!/usr/bin/env python3
"""text_node.py - a fake node for test_node_text.sh whose answers hold
terminal controls, where a real node cannot be made to send them.

    text_node.py HOST CLUSTER [PORT]

Listens on HOST (loopback, the test's block) at PORT, by default a port of
the kernel's choice, printed first; serves one plaintext connection after another (at
most 60, each at most 20 s; it exits after 30 s without one): says hello as
node "fake" of CLUSTER and answers every REQUEST from the table below, its
strings holding ESC, BEL, C1 CSI (U+009B, and a lone byte 0x9b where the
field is bytes) next to printable UTF-8 ("café"). A method it does not know
gets an ERROR that says so. With TEXT_NODE_INFO_ERROR set, sys.info is
answered by an ERROR too; with TEXT_NODE_RELOAD=refused, management.reload
is refused in plain words instead (as a real node refuses one), for tests
of what a refusal leaves behind, with TEXT_NODE_RELOAD=silent never
answered (a node that may have reloaded), with TEXT_NODE_RELOAD=drop the
connection closed instead of an answer; with TEXT_NODE_ACK=silent, management.ack
is never answered (a node that may have applied it), with TEXT_NODE_ACK=drop
the connection is closed instead of an answer; with TEXT_NODE_INFO=nomode,
sys.info names no tls_mode (an older node). Its first management.ack
is answered "acknowledged", the later ones "nothing" with another finding
kept. With TEXT_NODE_REASON=long, pipeline.ingest gives reasons that are not
valid UTF-8 once cut (1,400 bytes of "é", longer than the producer keeps),
or none at all (a Latin-1 file name), and data.get an error of 800 bytes of
"é"; with TEXT_NODE_GOODBYE=long, a connection made to it gets its hello,
then a connection-level ERROR of 800 bytes of "é" (its last word), and is
closed: what test_json_not_utf8.sh needs; with TEXT_NODE_STATUS=long,
management.status gets an error of 800 bytes of "é" (test_operator_text.sh);
TEXT_NODE_ID, its hello's node id instead of "fake"."""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flood_peers import field, frame  # noqa: E402
from stall_peers import varint_at  # noqa: E402

ESC = "\x1b[2J"          # clears the screen
TITLE = "\x1b]0;owned\x07"  # sets the window title
CSI = "\u009b31m"        # C1 CSI: red
BAD = (ESC + " " + CSI + " " + TITLE + " café").encode()
BAD_BYTES = BAD + b" \x9b1m \xe6\x97"  # and a lone C1 byte, broken UTF-8
ACKS = []  # management.ack calls so far: the first acknowledges, later ones do not


def fields(b):
    """(number, value) of each field of message b: an int or bytes."""
    i, out = 0, []
    while i < len(b):
        key, i = varint_at(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint_at(b, i)
        elif wire == 2:
            n, i = varint_at(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        out.append((num, v))
    return out


def envelope(kind, rid, payload=b"", status=0, message=b""):
    body = field(1, 0, 1) + field(2, 0, kind)
    if rid:
        body += field(3, 0, rid)
    if status:
        body += field(6, 0, (status << 1) ^ (status >> 31))
    if message:
        body += field(7, 2, message)
    if payload:
        body += field(8, 2, payload)
    return frame(body)


def j(obj):
    return json.dumps(obj, ensure_ascii=False).encode()


def node_status(i):
    s = BAD.decode()
    return {
        "node": {"id": "n" + s, "address": "addr" + s, "cluster": "c" + s, "uptime_seconds": 5,
                 "version": "sipc " + s},
        "tls": {"enabled": True, "mode": "permissive" + s, "required_subject": "subj" + s,
                "certificate": {"subject": "CN=" + s, "fingerprint_sha256": "ab" * 32,
                                "not_after": "2030" + s, "days_left": 100}},
        "guard": {"plaintext_peers": [{"address": "peer" + s, "node": "pn" + s,
                                       "service": "data" + s, "seconds_ago": 3}],
                  "window_s": 60, "held_back": True},
        "services": [{"name": "Data" + s, "port": 23000 + i, "tls": "permissive",
                      "connections": {"tls": 1, "plaintext": 1, "opening": 0},
                      "plaintext_peers": [{"address": "pp" + s, "node": "ppn" + s}]}],
        "storage": {"writes": {"failing": True, "since": "t" + s, "failures": 2,
                               "last_failure": "lf" + s, "last_error": "disk" + s},
                    "records_lost": [{"detected": "d" + s, "message": "lost" + s,
                                      "line": "l" + s}]},
        "links": [{"service": "search" + s, "address": "la" + s, "up": False,
                   "last_error": "refused" + s}],
    }


def ingest(req):
    recs = [v for n, v in fields(req) if n == 1]
    to = [v for n, v in fields(req) if n == 2]
    if to:  # UNKNOWN_NODE
        return None, 2, b"no node " + BAD
    out = b""
    for k, r in enumerate(recs):
        rid = [v for n, v in fields(r) if n == 1][0]
        why, lost = b"why" + BAD, b"lost" + BAD
        if os.environ.get("TEXT_NODE_REASON") == "long":
            why, lost = b"why" + "\u00e9".encode() * 700, b"lost caf\xe9.db"
        if k % 2 == 0:  # REJECTED, INVALID
            res = field(1, 2, rid) + field(2, 0, 2) + field(3, 2, b"dest" + BAD) + \
                field(4, 2, why) + field(5, 0, 2)
        else:  # UNAVAILABLE
            res = field(1, 2, rid) + field(2, 0, 3) + field(4, 2, lost)
        out += field(1, 2, res)
    return out, 0, b""


def search():
    att = field(1, 2, b"k" + BAD_BYTES) + field(2, 2, b"v" + BAD_BYTES)
    hit = field(1, 2, b"id" + BAD_BYTES) + field(2, 0, 1795428000000) + \
        field(3, 2, b"hn" + BAD_BYTES) + field(4, 2, att) + field(5, 2, b"body") + field(7, 0, 4)
    miss = field(1, 2, b"mn" + BAD_BYTES) + field(2, 2, b"ma" + BAD_BYTES) + \
        field(3, 2, b"mr" + BAD_BYTES)
    return field(1, 2, hit) + field(2, 0, 1) + field(3, 2, b"fake") + field(4, 2, miss)


def answer(service, method, payload):
    """(payload, status, message): a RESPONSE when status is 0, else an ERROR."""
    s = BAD.decode()
    if (service, method) == ("sys", "info") and os.environ.get("TEXT_NODE_INFO_ERROR"):
        return None, 13, b"info broke " + BAD
    if (service, method) == ("sys", "info") and os.environ.get("TEXT_NODE_INFO") == "nomode":
        return j({"node": "old"}) + b"\n", 0, b""
    if (service, method) == ("sys", "info"):
        return j({"node": "n" + s, "tls_mode": "m" + s}) + b"\n", 0, b""
    if (service, method) == ("management", "status") and \
            os.environ.get("TEXT_NODE_STATUS") == "long":
        return None, 4, b"nothing " + "\u00e9".encode() * 400
    if (service, method) == ("management", "status"):
        return j(node_status(0)), 0, b""
    if (service, method) == ("management", "cluster"):
        return j({"nodes": [dict(node_status(0), reachable=True),
                            {"reachable": False, "address": "down" + s, "error": "gone" + s},
                            {"reachable": False, "address": "down2" + s, "error": "gone" + s,
                            "heard_as": "n" + s}],
                  "problems": [{"kind": "unreachable", "message": "problem" + s}],
                  "health": "problems"}), 0, b""
    if (service, method) == ("management", "metrics"):
        return b'sipc_up{node="' + BAD_BYTES + b'"} 1\n# ' + BAD + b"\n", 0, b""
    if (service, method) == ("management", "reload") and \
            os.environ.get("TEXT_NODE_RELOAD") == "refused":
        return j({"result": "refused", "node": "fake", "changes": [], "not_applied": [],
                  "restart_needed": [],
                  "message": "reload refused: the fake node refuses; the running setup stays"}), \
            0, b""
    if (service, method) == ("management", "reload") and \
            os.environ.get("TEXT_NODE_RELOAD") == "silent":
        return None, None, b""
    if (service, method) == ("management", "reload") and \
            os.environ.get("TEXT_NODE_RELOAD") == "drop":
        return None, "drop", b""
    if (service, method) == ("management", "reload"):
        return j({"result": "applied", "node": "rn" + s, "message": "reloaded" + s,
                  "changes": ["ch" + s]}), 0, b""
    if (service, method) == ("management", "ack") and \
            os.environ.get("TEXT_NODE_ACK") == "silent":
        return None, None, b""
    if (service, method) == ("management", "ack") and \
            os.environ.get("TEXT_NODE_ACK") == "drop":
        return None, "drop", b""
    if (service, method) == ("management", "ack"):
        ACKS.append(1)
        if len(ACKS) > 1:  # the findings named are gone, another one stays
            return j({"schema": 1, "node": "n" + s, "what": "records-lost", "result": "nothing",
                      "message": "nothing to acknowledge" + s, "removed": [],
                      "kept": ["new" + s], "gone": ["l" + s]}), 0, b""
        return j({"schema": 1, "node": "n" + s, "what": "records-lost", "result": "acknowledged",
                  "message": "ack" + s, "removed": ["l" + s], "kept": [], "gone": [],
                  "warning": "warn" + s}), 0, b""
    if (service, method) == ("pipeline", "ingest"):
        return ingest(payload)
    if (service, method) == ("search", "query"):
        return search(), 0, b""
    if (service, method) == ("data", "get") and os.environ.get("TEXT_NODE_REASON") == "long":
        return None, 4, b"nothing " + "\u00e9".encode() * 400
    if (service, method) == ("data", "get"):
        return None, 4, b"nothing " + BAD_BYTES  # NOT_FOUND
    return None, 1, ("no %s.%s here" % (service, method)).encode()


def serve(c, cluster):
    node = os.environ.get("TEXT_NODE_ID", "fake").encode()
    h = field(1, 0, 1) + field(2, 2, node) + field(3, 2, cluster.encode()) + \
        field(4, 2, b"text_node.py")
    c.sendall(frame(field(1, 0, 1) + field(2, 0, 1) + field(8, 2, h)))
    if os.environ.get("TEXT_NODE_GOODBYE") == "long":  # a long last word, then gone
        c.sendall(envelope(5, 0, status=1, message="\u00e9".encode() * 400))
        return
    buf = b""
    while True:
        b = c.recv(65536)
        if not b:
            return
        buf += b
        while len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            env = dict(fields(buf[4:4 + n]))
            buf = buf[4 + n:]
            kind, rid = env.get(2, 0), env.get(3, 0)
            if kind == 6:  # PING
                c.sendall(envelope(7, rid))
            elif kind == 2:  # REQUEST
                payload, status, message = answer(env.get(4, b"").decode(),
                                                  env.get(5, b"").decode(), env.get(8, b""))
                if status is None:  # never answered
                    continue
                if status == "drop":  # gone without an answer
                    return
                if status:
                    c.sendall(envelope(5, rid, status=status, message=message))
                else:
                    c.sendall(envelope(3, rid, payload=payload))


def main():
    s = socket.socket()
    # a test may start another fake node on the same port at once: the
    # first one's connections in TIME_WAIT must not keep it from binding
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
    s.listen(4)
    s.settimeout(30)
    print(s.getsockname()[1], flush=True)
    for _ in range(60):
        try:
            c, _ = s.accept()
        except OSError:
            return
        c.settimeout(20)
        try:
            serve(c, sys.argv[2])
        except (OSError, ValueError):
            pass
        c.close()


if __name__ == "__main__":
    main()
