#!/usr/bin/env python3
"""pfx_join.py OUT IN1 IN2... - one PKCS#12 file holding the contents of
several, as a keystore with more than one entry is (two keytool
PrivateKeyEntries), which `openssl pkcs12 -export` cannot write: it takes one
key. The inputs are files from `openssl pkcs12 -export` with the password in
$PW (their bags stay encrypted as they are); OUT has their ContentInfos one
after the other and a new SHA-256 MAC with the first file's salt and
iteration count (RFC 7292 appendix B)."""
import hashlib
import hmac
import os
import sys

from mkcrl import read_tlv, tlv  # the DER reading and writing of the CRL maker


def children(d, start, end):
    """(tag, start, content start, content end) of each element in d[start:end]."""
    out = []
    while start < end:
        tag, s, e = read_tlv(d, start)
        out.append((tag, start, s, e))
        start = e
    return out


def p12_kdf(password, salt, iters, n):
    """RFC 7292 B.2 with SHA-256, ID 3 (the MAC key)."""
    u, v = 32, 64
    pw = (password + "\0").encode("utf-16-be")
    D = bytes([3]) * v
    S = (salt * (v // len(salt) + 1))[: v * ((len(salt) + v - 1) // v)]
    P = (pw * (v // len(pw) + 1))[: v * ((len(pw) + v - 1) // v)]
    I = bytearray(S + P)
    out = b""
    while len(out) < n:
        a = hashlib.sha256(D + bytes(I)).digest()
        for _ in range(iters - 1):
            a = hashlib.sha256(a).digest()
        out += a
        B = int.from_bytes((a * (v // u + 1))[:v], "big")
        for j in range(0, len(I), v):
            x = (int.from_bytes(I[j:j + v], "big") + B + 1) % (1 << (8 * v))
            I[j:j + v] = x.to_bytes(v, "big")
    return out[:n]


def main():
    out, ins, pw = sys.argv[1], sys.argv[2:], os.environ["PW"]
    cis, salt, iters = b"", None, None
    for path in ins:
        d = open(path, "rb").read()
        _, s, e = read_tlv(d, 0)
        ver, auth, mac = children(d, s, e)
        # authSafe: SEQUENCE { OID data, [0] { OCTET STRING { SEQUENCE { ContentInfo... } } } }
        oid, a0 = children(d, auth[2], auth[3])
        _, os_s, _ = read_tlv(d, a0[2])
        _, seq_s, seq_e = read_tlv(d, os_s)
        cis += d[seq_s:seq_e]
        if salt is None:
            # macData: SEQUENCE { DigestInfo, OCTET STRING salt, INTEGER iterations }
            _, salt_t, it_t = children(d, mac[2], mac[3])
            salt = d[salt_t[2]:salt_t[3]]
            iters = int.from_bytes(d[it_t[2]:it_t[3]], "big")
            ver_der, oid_der = d[ver[1]:ver[3]], d[oid[1]:oid[3]]
    safe = tlv(0x30, cis)
    digest = hmac.new(p12_kdf(pw, salt, iters, 32), safe, hashlib.sha256).digest()
    sha256 = bytes.fromhex("0609608648016503040201") + bytes.fromhex("0500")
    mac = tlv(0x30, tlv(0x30, tlv(0x30, sha256) + tlv(0x04, digest)) + tlv(0x04, salt) +
              tlv(0x02, iters.to_bytes((iters.bit_length() + 8) // 8, "big")))
    auth = tlv(0x30, oid_der + tlv(0xA0, tlv(0x04, safe)))
    open(out, "wb").write(tlv(0x30, ver_der + auth + mac))


main()
