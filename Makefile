# frigate-buffer tasks. `make demo` sets up a fresh machine and processes the
# bundled sample; `make test` runs the test suite.

CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)
SAMPLE := sample/ce
BIN := target/release/frigate-buffer

.PHONY: setup build sample demo test lint bench clean-sample

setup:
	bash scripts/setup.sh

build:
	$(CARGO) build --release --locked

sample:
	bash scripts/make-sample.sh $(SAMPLE)

demo: setup build sample
	$(BIN) process $(SAMPLE)

test: setup sample
	$(CARGO) test --release --locked -- --test-threads=2

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

bench: build sample
	$(BIN) bench $(SAMPLE)

clean-sample:
	rm -rf sample
