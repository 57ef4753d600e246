# libvwo — the two commands of the README are `make demo` and `make test`.
CARGO ?= cargo

.PHONY: all build demo test test-rust lint conformance bench clean

all: build

build:
	$(CARGO) build --release

demo:
	$(CARGO) run --release --quiet --bin vwo-demo

# Every test of every layer.
test: lint test-rust conformance

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust:
	$(CARGO) test

conformance:
	$(CARGO) run --release --quiet --bin vwo-conformance -- tests/vectors

bench:
	$(CARGO) bench --bench workloads

clean:
	$(CARGO) clean
