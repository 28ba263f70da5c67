# frigate-buffer tasks, shortcuts for the scripts the README names: `make demo` is
# scripts/demo.sh (sets up a fresh machine and processes the bundled sample), `make test` is
# scripts/test.sh (sets up what the tests need and runs them).

CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)
SAMPLE := sample/ce
BIN := target/release/frigate-buffer

.PHONY: setup build sample demo test lint bench clean-sample

setup:
	bash scripts/setup.sh --tests

build:
	$(CARGO) build --release --locked

sample:
	bash scripts/make-sample.sh $(SAMPLE)

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings
	python3 scripts/import-graph.py src

bench: build sample
	$(BIN) bench $(SAMPLE)

clean-sample:
	rm -rf sample
