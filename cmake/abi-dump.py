#!/usr/bin/env python3
"""abi-dump.py INCLUDE_DIR... - the binary interface of the public headers
(INCLUDE_DIR/sipc/*.h) as sorted text lines, for cmake/check-abi.sh:

  fn     every function they declare, its prototype as GCC reads it (-aux-info)
  type   every structure, union, enumeration and typedef named sipc_*: a
         structure's size, and each member's offset (and bits) and type, a
         function pointer with its parameters, an enumeration's constants
         and values, read from the DWARF of an object compiled from them
  macro  every SIPC_* macro that has a value, and the value (not function-like
         macros, include guards, the version numbers)

Nothing is parsed from the C text: GCC says what the headers mean. CC must
be GCC; readelf comes with it (binutils).
"""
import os
import re
import subprocess
import sys
import tempfile

CC = os.environ.get("CC", "gcc")
READELF = os.environ.get("READELF", "readelf")
# values that change with every release or protocol, not with the ABI
VERSION_MACRO = re.compile(r"^SIPC_(VERSION_\w+|ABI_VERSION|PROTOCOL_VERSION)$")


def die(msg):
    print("abi-dump: " + msg, file=sys.stderr)
    sys.exit(2)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        die("%s failed:\n%s" % (" ".join(cmd), r.stderr))
    return r.stdout


def parse_dies(text):
    """readelf --debug-dump=info -> {offset: die}, a die being a dict with
    'tag', 'attrs' and 'kids' (offsets of its children, in order)."""
    dies, stack = {}, []
    head = re.compile(r"^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\w+)\))?")
    attr = re.compile(r"^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$")
    cur = None
    for line in text.splitlines():
        m = head.match(line)
        if m:
            depth, off, tag = int(m.group(1)), int(m.group(2), 16), m.group(4)
            del stack[depth:]
            if tag is None:  # "Abbrev Number: 0" ends a list of children
                cur = None
                continue
            cur = {"tag": tag, "attrs": {}, "kids": []}
            dies[off] = cur
            if stack:
                dies[stack[-1]]["kids"].append(off)
            stack.append(off)
            continue
        m = attr.match(line)
        if m and cur is not None:
            cur["attrs"][m.group(1)] = m.group(2).strip()
    return dies


def name_of(d):
    v = d["attrs"].get("DW_AT_name")
    if v is None:
        return None
    return v.split("): ", 1)[1] if v.startswith("(") else v


def ref(d, a="DW_AT_type"):
    v = d["attrs"].get(a)
    m = re.match(r"<0x([0-9a-f]+)>", v or "")
    return int(m.group(1), 16) if m else None


def num(d, a):
    v = d["attrs"].get(a)
    if v is None:
        return None
    m = re.match(r"(-?(?:0x[0-9a-f]+|\d+))", v)
    return int(m.group(1), 0) if m else v


class Render:
    def __init__(self, dies):
        self.dies = dies

    def type(self, off):
        """A type as one line of text; named types by name only (each named
        sipc_* type has lines of its own), anonymous ones spelled out."""
        if off is None:
            return "void"
        d = self.dies[off]
        t, n = d["tag"], name_of(d)
        if t in ("DW_TAG_base_type", "DW_TAG_typedef"):
            return n
        if t in ("DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_enumeration_type"):
            kw = t[7:].split("_")[0].replace("structure", "struct").replace("enumeration", "enum")
            return "%s %s" % (kw, n) if n else "%s { %s }" % (kw, "; ".join(self.body(off)))
        if t == "DW_TAG_pointer_type":
            inner = self.type(ref(d))
            if ref(d) is not None and self.dies[ref(d)]["tag"] == "DW_TAG_subroutine_type":
                return inner.replace(" (", " (*)(", 1)  # "void (int)" -> "void (*)(int)"
            return inner + " *"
        if t in ("DW_TAG_const_type", "DW_TAG_volatile_type", "DW_TAG_restrict_type",
                 "DW_TAG_atomic_type"):
            return "%s %s" % (t[7:-5], self.type(ref(d)))
        if t == "DW_TAG_array_type":
            dims = ""
            for k in d["kids"]:
                kd = self.dies[k]
                ub, cnt = num(kd, "DW_AT_upper_bound"), num(kd, "DW_AT_count")
                dims += "[%s]" % (cnt if cnt is not None else (ub + 1 if ub is not None else ""))
            return self.type(ref(d)) + dims
        if t == "DW_TAG_subroutine_type":
            params = []
            for k in d["kids"]:
                kd = self.dies[k]
                if kd["tag"] == "DW_TAG_formal_parameter":
                    params.append(self.type(ref(kd)))
                elif kd["tag"] == "DW_TAG_unspecified_parameters":
                    params.append("...")
            return "%s (%s)" % (self.type(ref(d)), ", ".join(params) or "void")
        die("type tag %s not handled" % t)

    def body(self, off):
        """The lines inside a structure, union or enumeration."""
        d = self.dies[off]
        out = []
        if d["tag"] == "DW_TAG_enumeration_type":
            for k in d["kids"]:
                kd = self.dies[k]
                out.append("%s = %s" % (name_of(kd), num(kd, "DW_AT_const_value")))
            return out
        for k in d["kids"]:
            kd = self.dies[k]
            if kd["tag"] != "DW_TAG_member":
                continue
            at = num(kd, "DW_AT_data_member_location") or 0
            bits = ""
            if "DW_AT_bit_size" in kd["attrs"]:
                bits = " bits %s+%s" % (num(kd, "DW_AT_data_bit_offset"), num(kd, "DW_AT_bit_size"))
            out.append("@%s%s %s %s" % (at, bits, self.type(ref(kd)), name_of(kd) or "(anonymous)"))
        return out


def main():
    dirs = [os.path.realpath(d) for d in sys.argv[1:]]
    if not dirs:
        die("usage: abi-dump.py INCLUDE_DIR...")
    headers = []
    for d in dirs:
        sd = os.path.join(d, "sipc")
        if os.path.isdir(sd):
            headers += [os.path.join(sd, f) for f in sorted(os.listdir(sd)) if f.endswith(".h")]
    if not headers:
        die("no sipc/*.h under %s" % " ".join(dirs))
    incs = ["-I" + d for d in dirs]
    lines, types = [], []
    with tempfile.TemporaryDirectory(prefix="abi-dump.") as tmp:
        src = os.path.join(tmp, "all.c")
        with open(src, "w") as f:
            for h in headers:
                f.write('#include "sipc/%s"\n' % os.path.basename(h))
        # functions: "/* /path/sipc/sipc.h:44:NC */ extern void f (int);"
        aux = os.path.join(tmp, "aux")
        run([CC, "-fsyntax-only", "-aux-info", aux] + incs + [src])
        real = set(os.path.realpath(h) for h in headers)
        with open(aux) as f:
            for line in f:
                m = re.match(r"^/\* ([^ ]+):\d+:\w+ \*/ (.*)$", line.rstrip("\n"))
                if m and os.path.realpath(m.group(1)) in real:
                    lines.append("fn    " + re.sub(r"\s+", " ", m.group(2)).strip())
        # types: every one, used or not, in the DWARF of an object
        obj = os.path.join(tmp, "all.o")
        run([CC, "-c", "-g", "-gdwarf-5", "-fno-eliminate-unused-debug-types", "-o", obj]
            + incs + [src])
        dies = parse_dies(run([READELF, "--debug-dump=info", obj]))
        r = Render(dies)
        blocks = {}  # type name -> its lines, members in declaration order
        for off, d in dies.items():
            n = name_of(d)
            if not n or not n.startswith("sipc_"):
                continue
            t = d["tag"]
            if t == "DW_TAG_typedef":
                tgt = dies.get(ref(d)) if ref(d) is not None else None
                if tgt and not name_of(tgt) and tgt["tag"] in (
                        "DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_enumeration_type"):
                    # typedef struct { ... } sipc_x: the body under the typedef's name
                    kw = r.type(ref(d)).split(" ")[0]
                    out = ["type  typedef %s = %s size %s" % (n, kw, num(tgt, "DW_AT_byte_size"))]
                    out += ["type  typedef %s %s" % (n, b) for b in r.body(ref(d))]
                else:
                    out = ["type  typedef %s = %s" % (n, r.type(ref(d)))]
                blocks["typedef " + n] = out
            elif t in ("DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_enumeration_type"):
                kw = r.type(off).split(" ")[0]
                if "DW_AT_declaration" in d["attrs"]:
                    blocks[kw + " " + n] = ["type  %s %s opaque" % (kw, n)]
                    continue
                out = ["type  %s %s size %s" % (kw, n, num(d, "DW_AT_byte_size"))]
                out += ["type  %s %s %s" % (kw, n, b) for b in r.body(off)]
                blocks[kw + " " + n] = out
        types = [l for k in sorted(blocks) for l in blocks[k]]
        # macros a program compiles in
        for line in run([CC, "-E", "-dM"] + incs + [src]).splitlines():
            # object-like with a value: not a function-like macro, not an
            # include guard (a header split in two changes no binary)
            m = re.match(r"^#define (SIPC_\w+) (.*\S)\s*$", line)
            if m and not VERSION_MACRO.match(m.group(1)):
                lines.append("macro %s %s" % (m.group(1), re.sub(r"\s+", " ", m.group(2))))
    fns = sorted((l for l in lines if l.startswith("fn ")),
                 key=lambda l: (re.search(r"(\w+) \(", l).group(1), l))  # by name
    macros = sorted(l for l in lines if l.startswith("macro "))
    sys.stdout.write("".join(l + "\n" for l in fns + types + macros))


if __name__ == "__main__":
    main()
