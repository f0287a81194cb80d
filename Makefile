# sipc - top-level Makefile: a thin wrapper around CMake.
#
#   make run      local TLS cluster demo (services/demo.sh)
#   make check    every test: normal build, ASan/UBSan build, system-wolfSSL build
#   make help     everything else
#
# WOLFSSL=system uses Debian's libwolfssl-dev instead of building wolfSSL from
# Debian's source package with assembly.

JOBS      ?= 2
# ctest's parallel jobs in make check (default JOBS+1: the tests mostly wait)
CTEST_JOBS ?=
WOLFSSL   ?=
GENERATOR ?= Unix Makefiles
CMAKE     ?= cmake
# Extra -D options for every cmake configure, e.g. CMAKE_ARGS=-DCMAKE_BUILD_TYPE=Debug
CMAKE_ARGS ?=

ifeq ($(WOLFSSL),system)
  BUILD_DIR := build-syswolf
  WOLF_OPT  := -DSIPC_SYSTEM_WOLFSSL=ON
else ifeq ($(WOLFSSL),)
  BUILD_DIR := build
  WOLF_OPT  := -DSIPC_SYSTEM_WOLFSSL=OFF
else
  $(error WOLFSSL must be empty (wolfSSL built from Debian's source package) or 'system' (Debian's libwolfssl-dev), not '$(WOLFSSL)')
endif

BENCH_KIT ?= $(abspath $(CURDIR)/../shared/bench-peers/peers/run.sh)

# cmake --build runs make below us: no "Entering directory" chatter.
MAKEFLAGS += --no-print-directory

.DEFAULT_GOAL := build
.PHONY: help deps configure build run check bench bench-services install uninstall clean distclean fuzz abi-record

help:
	@echo "sipc - mutual-TLS IPC for cluster servers"
	@echo ""
	@echo "  make run        install missing Debian packages, build $(BUILD_DIR)/, run services/demo.sh:"
	@echo "                  a 3-node TLS cluster on 127.0.0.1-3 ingesting and searching records"
	@echo "                  (KEEP=1 leaves it running and says how to use and stop it)"
	@echo "  make check      all tests: $(BUILD_DIR)/ with -Werror, build-asan/ with ASan+UBSan,"
	@echo "                  build-syswolf/ (Debian's libwolfssl-dev) unit tests; summary at the end"
	@echo "  make build      configure and build $(BUILD_DIR)/ (default target)"
	@echo "  make bench      build, then run ../shared/bench-peers with sipc-bench added (and a 1 MiB"
	@echo "                  workload), handshakes beside openssl s_time and a connection limit,"
	@echo "                  1/16/256 connections, 10,000 idle connections and 2,000 at once,"
	@echo "                  then the performance goals against that run (tests/bench/goals.py)"
	@echo "  make bench-services  build, then tests/bench/services-bench.sh: ingest through the"
	@echo "                  pipeline of a 3-node TLS cluster vs raw SQLite, search latency (RUNS=3: 3 runs)"
	@echo "  make fuzz       build build-fuzz/ with clang (libFuzzer, ASan, UBSan) and run every"
	@echo "                  fuzz target for FUZZ_SECONDS from its corpus (docs/fuzzing.md)"
	@echo "  make deps       install missing Debian packages (cmake/deps.sh)"
	@echo "  make install    cmake --install $(BUILD_DIR) (PREFIX=/usr/local)"
	@echo "  make uninstall  remove what the last make install from $(BUILD_DIR) installed (the same DESTDIR)"
	@echo "  make abi-record record the public headers' ABI as cmake/abi-N.txt, N their SIPC_ABI_VERSION"
	@echo "                  (after raising it for an ABI change; the check_abi test says when)"
	@echo "  make clean      remove the build trees (build*/)"
	@echo "  make distclean  also remove .deps/ (the shared wolfSSL build and its Debian sources)"
	@echo ""
	@echo "Variables:"
	@echo "  WOLFSSL=system  use Debian's libwolfssl-dev (no assembly) instead of building wolfSSL"
	@echo "                  from Debian's source package; for build, run and check"
	@echo "  JOBS=$(JOBS)         parallel build and test jobs"
	@echo "  CTEST_JOBS=N    parallel test jobs of make check (default JOBS+1: the tests mostly wait)"
	@echo "  CMAKE_ARGS=...  extra cmake -D options"
	@echo "  SIPC_DEPS_DIR=DIR  (environment) where the wolfSSL build is kept and shared"
	@echo "                  (default .deps/ of this checkout): point several clones at one"
	@echo "  FUZZ_SECONDS=$(FUZZ_SECONDS) seconds each fuzz target runs (make fuzz)"

deps:
	@sh cmake/deps.sh

configure: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -G "$(GENERATOR)" $(WOLF_OPT) $(CMAKE_ARGS)

build: configure
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

KEEP ?= 0
run: build
	SIPC_BIN=$(abspath $(BUILD_DIR)) SIPC_DEMO_KEEP=$(KEEP) bash services/demo.sh

check: deps
	@JOBS=$(JOBS) CTEST_JOBS=$(CTEST_JOBS) WOLFSSL=$(WOLFSSL) GENERATOR="$(GENERATOR)" CMAKE_ARGS="$(CMAKE_ARGS)" bash cmake/check.sh

bench: build
	@if [ ! -x "$(BENCH_KIT)" ]; then \
	  echo "make bench: the benchmark kit $(BENCH_KIT) is not there (set BENCH_KIT=/path/to/bench-peers/peers/run.sh)" >&2; exit 1; \
	fi
	@if [ ! -x $(BUILD_DIR)/sipc-bench ]; then \
	  echo "make bench: $(BUILD_DIR)/sipc-bench was not built" >&2; exit 1; \
	fi
	SIPC_BENCH=$(abspath $(BUILD_DIR))/sipc-bench BENCH_KIT=$(BENCH_KIT) bash tests/bench/bench-all.sh

RUNS ?= 1
bench-services: build
	SIPC_BIN=$(abspath $(BUILD_DIR)) RUNS=$(RUNS) bash tests/bench/services-bench.sh

# Fuzzing build: every sipc source instrumented for libFuzzer with ASan and
# UBSan (tests/fuzz/CMakeLists.txt); needs Debian's clang (clang-14).
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := frame x509 config pkcs12 tls time sha256 aes_gcm ecdsa
fuzz: deps
	@command -v clang >/dev/null 2>&1 || { \
	  echo "make fuzz: needs clang with libFuzzer: apt-get install -y clang" >&2; exit 1; }
	CC=clang $(CMAKE) -S . -B build-fuzz -G "$(GENERATOR)" -DSIPC_FUZZ=ON -DSIPC_SYSTEM_WOLFSSL=OFF \
	  -DSIPC_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_ARGS)
	$(CMAKE) --build build-fuzz -j$(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	sh tests/fuzz/run.sh build-fuzz/tests/fuzz tests/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

PREFIX ?= /usr/local
install: build
	$(CMAKE) --install $(BUILD_DIR) --prefix $(PREFIX)

abi-record: configure
	$(CMAKE) --build $(BUILD_DIR) --target abi-record

# the files $(BUILD_DIR)/install_manifest.txt lists (cmake/uninstall.cmake)
uninstall:
	$(CMAKE) --build $(BUILD_DIR) --target uninstall

clean:
	rm -rf build build-asan build-syswolf build-asan-syswolf build-fuzz

distclean: clean
	rm -rf .deps
