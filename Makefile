# tutti: `make demo` runs the embedded demo, `make test` runs every check and test.

CARGO ?= cargo
APT_PACKAGES := sox espeak-ng libspandsp-dev

.PHONY: all build demo test bench doc lint deps clean

all: build

build:
	$(CARGO) build --release

demo: build
	./target/release/tutti demo

# System packages the tests use (sox and espeak-ng make test signals; libspandsp-dev is the
# reference DTMF detector the conformance tests compare against, never linked into tutti):
# installed with apt-get when running as root, otherwise named.
deps:
	@missing=""; \
	command -v sox >/dev/null 2>&1 || missing="$$missing sox"; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	dpkg -s libspandsp-dev >/dev/null 2>&1 || [ -f /usr/include/spandsp.h ] || missing="$$missing libspandsp-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES)) >/dev/null \
	      || { echo "apt-get could not install$$missing"; exit 1; }; \
	  else \
	    echo "make test needs these packages:$$missing (Debian: apt-get install$$missing)"; exit 1; \
	  fi; \
	fi
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "make needs cargo (https://rustup.rs)"; exit 1; }

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps

test: deps lint doc
	$(CARGO) test --all-targets
	$(CARGO) test --doc

bench:
	$(CARGO) bench

clean:
	$(CARGO) clean
	rm -rf tutti-demo
