#!/usr/bin/env python3
"""mkcrl.py - CRLs `openssl ca` cannot make, for the certificate tests: entries with
a certificateIssuer (an indirect CRL) or with an unknown critical extension.
The TBSCertList is built here; openssl signs it (ecdsa-with-SHA256, an EC
CA key).

  mkcrl.py CA.pem CA.key OUT.crl NUMBER [--indirect] [--dates=AGO,AHEAD] [ENTRY ...]

--dates: thisUpdate AGO hours ago, nextUpdate AHEAD hours from now (else an
hour ago and 30 days from now).

ENTRY is SERIAL (hex) followed by comma-separated options: reason=N (a
CRLReason code), issuer=CERT.pem (certificateIssuer: CERT's subject, for this
entry and those after it), unknown-critical (a critical extension 1.2.3.4).
"""
import base64
import datetime
import subprocess
import sys


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content


def read_tlv(d, i):
    """(tag, content start, content end) of the TLV at i."""
    tag, n = d[i], d[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[i:i + k], "big")
        i += k
    return tag, i, i + n


def pem_der(path):
    text = open(path).read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END")[0]
    return base64.b64decode("".join(body.split()))


def subject_of(path):
    """The subject Name TLV of a certificate."""
    d = pem_der(path)
    _, s, _ = read_tlv(d, 0)  # Certificate
    _, i, _ = read_tlv(d, s)  # TBSCertificate content
    fields = []
    while len(fields) < 6:
        tag, cs, ce = read_tlv(d, i)
        fields.append((tag, i, ce))
        i = ce
    if fields[0][0] != 0xA0:  # no [0] version
        fields.insert(0, None)
    _, start, end = fields[5]  # version serial sigalg issuer validity subject
    return d[start:end]


def oid(dotted):
    p = [int(x) for x in dotted.split(".")]
    out = bytes([40 * p[0] + p[1]])
    for v in p[2:]:
        enc = [v & 0x7F]
        v >>= 7
        while v:
            enc.insert(0, 0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(enc)
    return tlv(0x06, out)


def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return tlv(0x02, b)


def utc(t):
    return tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())


def ext(o, value, critical=False):
    return tlv(0x30, oid(o) + (tlv(0x01, b"\xff") if critical else b"") + tlv(0x04, value))


def main(argv):
    ca, key, out, number = argv[1:5]
    rest = argv[5:]
    indirect = "--indirect" in rest
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ago, ahead = 1, 30 * 24
    for a in rest:
        if a.startswith("--dates="):
            ago, ahead = (int(h) for h in a[8:].split(","))
    entries = b""
    for spec in (a for a in rest if not a.startswith("--")):
        serial, *opts = spec.split(",")
        exts = b""
        for o in opts:
            if o.startswith("reason="):
                exts += ext("2.5.29.21", tlv(0x0A, bytes([int(o[7:])])))
            elif o.startswith("issuer="):
                gn = tlv(0xA4, subject_of(o[7:]))
                exts += ext("2.5.29.29", tlv(0x30, gn), critical=True)
            elif o == "unknown-critical":
                exts += ext("1.2.3.4", tlv(0x0C, b"sipc test"), critical=True)
            else:
                sys.exit("mkcrl.py: unknown entry option " + o)
        body = integer(int(serial, 16)) + utc(now - datetime.timedelta(hours=1))
        if exts:
            body += tlv(0x30, exts)
        entries += tlv(0x30, body)
    crl_exts = ext("2.5.29.20", integer(int(number)))
    if indirect:  # issuingDistributionPoint { indirectCRL TRUE }
        crl_exts += ext("2.5.29.28", tlv(0x30, tlv(0x84, b"\xff")), critical=True)
    sigalg = tlv(0x30, oid("1.2.840.10045.4.3.2"))
    tbs = tlv(
        0x30,
        integer(1) + sigalg + subject_of(ca) + utc(now - datetime.timedelta(hours=ago))
        + utc(now + datetime.timedelta(hours=ahead)) + (tlv(0x30, entries) if entries else b"")
        + tlv(0xA0, tlv(0x30, crl_exts)),
    )
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=tbs,
                         capture_output=True, check=True).stdout
    open(out, "wb").write(tlv(0x30, tbs + sigalg + tlv(0x03, b"\x00" + sig)))


if __name__ == "__main__":
    main(sys.argv)
