#!/usr/bin/env python3
"""check_test_blocks.py - the integration tests' budgets and loopback blocks,
as ctest will run them (tests/CMakeLists.txt, sipc_add_shell_test):

    check_test_blocks.py CTEST BUILD_DIR SOURCE_DIR

Reads `CTEST --show-only=json-v1` of BUILD_DIR and fails, naming the test,
when a test registered in tests/integration/CMakeLists.txt
  - has no TIMEOUT (ctest's default is 1,500 s: a hung node would hold the
    run that long);
  - is given a block (SIPC_TEST_NET) without holding its lock
    (RESOURCE_LOCK net-BLOCK), or its script's own default block, the one a
    direct run uses, is another than the block ctest gives it;
  - names a block (127.A.B.x) that another test of the whole suite locks,
    without holding that lock itself: the two may run at once and meet on
    the same addresses. A C test names its blocks for listeners on ports
    the kernel picks, which need no lock (tests/CMakeLists.txt), unless its
    source names a standard port (23000-23003, 23009).
127.0.0.x is everyone's and never locked. The blocks a test names are read
from its script (a shell test) or its source, tests/integration/NAME.c."""
import json
import os
import re
import subprocess
import sys

BLOCK = re.compile(r"\b127\.(\d{1,3})\.(\d{1,3})(?=\.(?:\d|x\b|\$|\{))")
DEFAULT = re.compile(r"SIPC_TEST_NET:-(127\.\d{1,3}\.\d{1,3})\b")
STANDARD_PORT = re.compile(r"\b2300[0-39]\b")


def props(test):
    return {p["name"]: p["value"] for p in test.get("properties", [])}


def defined_in(data, test):
    """the CMakeLists.txt files on the test's backtrace"""
    graph, files, node = data["backtraceGraph"], [], test.get("backtrace")
    while node is not None:
        n = graph["nodes"][node]
        files.append(graph["files"][n["file"]])
        node = n.get("parent")
    return files


def locks(p):
    value = p.get("RESOURCE_LOCK", [])
    if isinstance(value, str):
        value = value.split(";")
    return {v[len("net-"):] for v in value if v.startswith("net-")}


def env(p, name):
    for e in p.get("ENVIRONMENT", []):
        if e.startswith(name + "="):
            return e[len(name) + 1:]
    return None


def source_of(test, integration_dir):
    """(path, is_shell) of the file that says which addresses test uses"""
    # ctest names no command for a program not built (a tree built for its
    # unit tests only): such a test is a C one, found by its name below
    for arg in test.get("command", [])[1:2]:
        if arg.endswith(".sh"):
            return arg, True
    path = os.path.join(integration_dir, test["name"] + ".c")
    return (path, False) if os.path.exists(path) else (None, False)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ctest, build, source = sys.argv[1], sys.argv[2], os.path.realpath(sys.argv[3])
    integration_dir = os.path.join(source, "tests", "integration")
    out = subprocess.run([ctest, "--test-dir", build, "--show-only=json-v1"], check=True,
                         capture_output=True, text=True).stdout
    data = json.loads(out)
    held = {}  # block -> the tests that lock it
    for t in data["tests"]:
        for b in locks(props(t)):
            held.setdefault(b, []).append(t["name"])
    ours = [t for t in data["tests"]
            if os.path.join(integration_dir, "CMakeLists.txt") in defined_in(data, t)]
    problems = []
    for t in ours:
        name, p = t["name"], props(t)
        if "TIMEOUT" not in p:
            problems.append("%s: no TIMEOUT" % name)
        mine = locks(p)
        net = env(p, "SIPC_TEST_NET")
        if net and net not in mine:
            problems.append("%s: given block %s without its lock net-%s" % (name, net, net))
        path, shell = source_of(t, integration_dir)
        if not path:
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        default = DEFAULT.search(text)
        if default and default.group(1) != net:
            problems.append("%s: a direct run uses %s (its script's default), ctest gives it %s"
                            % (name, default.group(1), net or "no block"))
        if not shell and not STANDARD_PORT.search(text):
            continue
        named = {"127.%s.%s" % m.groups() for m in BLOCK.finditer(text)} - {"127.0.0"}
        for b in sorted(named - mine):
            others = [o for o in held.get(b, []) if o != name]
            if others:
                problems.append("%s: names %s, locked by %s, without its lock: give it the lock "
                                "(NET, or RESOURCE_LOCK net-%s) or another block"
                                % (name, b, ", ".join(sorted(others)), b))
    for line in problems:
        print("not ok - " + line)
    print("# %d tests of tests/integration checked, %d problems" % (len(ours), len(problems)))
    sys.exit(1 if problems or not ours else 0)


if __name__ == "__main__":
    main()
