# Storybank's tasks. `make ci` is exactly what CI runs (.ci/run calls `make lint` and `make test`).
.DEFAULT_GOAL := help
CARGO ?= cargo
DATA ?= demo-data
# The full run (20k text stories, 40 photos, 100k-story search corpus with the FTS5 baseline, then
# 20 s of wrk against the search page) takes about 12 minutes on 2 cores; e.g.
# BENCH_ARGS="--search-stories 10000" for a quicker look. The HTTP run needs Debian's `wrk`.
BENCH_ARGS ?=

.PHONY: help run test browser-test lint ci bench

help: ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: ## Build, load the sample stories into a fresh ./demo-data, make demo accounts, serve on http://127.0.0.1:8080
	$(CARGO) build --release --bin storybank
	rm -rf $(DATA)
	./target/release/storybank --data-dir $(DATA) ingest stories-sample
	@echo
	@echo "Demo accounts (user name, role, password) for http://127.0.0.1:8080/login :"
	@for role in reporter curator commissioner admin; do \
	  ./target/release/storybank --data-dir $(DATA) user add demo-$$role --role $$role --generate-password; \
	done
	@echo "(demo-curator can also submit stories if you give it the reporter role on the Users page as demo-admin.)"
	@echo
	@echo "Serving on http://127.0.0.1:8080 ; stop with Ctrl-C."
	./target/release/storybank --data-dir $(DATA) serve --addr 127.0.0.1:8080

test: ## Build the binary, run every test (unit, integration, in-process web), then the browser journeys
	$(CARGO) build --bin storybank
	$(CARGO) test --workspace
	$(MAKE) browser-test

browser-test: ## Browser journeys in headless Chromium (needs /usr/bin/chromium and node; see tests/browser)
	$(CARGO) build --bin storybank
	cd tests/browser && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && STORYBANK_BIN=../../target/debug/storybank node run.mjs

lint: ## Formatting and clippy, warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

ci: lint test ## What CI runs

bench: ## Benchmarks (a harness, not tests); results go in docs/benchmarks.md by hand
	$(CARGO) build --release --bin storybank
	$(CARGO) run --release -p storybank-bench -- $(BENCH_ARGS)
