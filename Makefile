# wasi-dl: the two commands are `make demo` (after cloning) and `make test`.
# Every target runs `setup` first; it is quick when nothing is missing.

CARGO ?= cargo
# The guest sysroot (headers, libwasi_dl.a, start-up object) that `wasi-dl cc` links against.
export WASI_DL_SYSROOT ?= $(CURDIR)/target/wasi-dl-sysroot
WASI_DL := $(CURDIR)/target/debug/wasi-dl

.PHONY: all setup guest build demo test bench fuzz clean

all: build

setup:
	@bash scripts/setup.sh

# The guest library, built for wasm32-wasip1 and installed into $(WASI_DL_SYSROOT), and the
# Rust guest example the tests run (guest/target/wasm32-wasip1/release/rust-loader.wasm).
guest: setup
	@bash guest/install.sh
	cd guest && $(CARGO) build --quiet --release --target wasm32-wasip1 -p rust-loader

build: guest
	$(CARGO) build --workspace

# The main job: a small text tool whose features are plugins found at run time.
demo: build
	@bash examples/demo/run.sh

# Every test: host unit tests and doc tests, the toolchain driver, the C conformance suite.
test: build
	$(CARGO) test --workspace

bench: guest
	@bash bench/run.sh

fuzz: setup
	@bash fuzz/run.sh

clean:
	$(CARGO) clean
	rm -rf guest/target
