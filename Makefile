# Storybank's tasks. `make ci` is exactly what CI runs (.ci/run calls `make lint` and `make test`).
.DEFAULT_GOAL := help
CARGO ?= cargo
DATA ?= demo-data
# Seconds each fuzz target runs for in `make fuzz`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := transcript manifest markdown query redaction

# The full run (20k text stories, 40 photos, 100k-story search corpus with the FTS5 baseline, then
# 20 s of wrk against the search page) takes about 12 minutes on 2 cores; e.g.
# BENCH_ARGS="--search-stories 10000" for a quicker look. The HTTP run needs Debian's `wrk`.
BENCH_ARGS ?=

.PHONY: help run test browser-test lint ci bench fuzz load-test

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

load-test: ## 60 s of wrk mixing searches and uploads on 127.0.0.1; fails on any error or lost write (needs Debian's wrk)
	$(CARGO) build --release --bin storybank
	$(CARGO) run --release -p storybank-bench -- --text-stories 0 --photos 0 --search-stories 0 --mixed-seconds $${LOAD_SECONDS:-60}

bench: ## Benchmarks (a harness, not tests); results go in docs/benchmarks.md by hand
	$(CARGO) build --release --bin storybank
	$(CARGO) run --release -p storybank-bench -- $(BENCH_ARGS)

fuzz: ## Fuzz the transcript and manifest parsers, Markdown renderer, query language and redaction, each for FUZZ_SECONDS (needs nightly Rust and cargo-fuzz)
	@command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked"; exit 1; }
	@mkdir -p fuzz/corpus/transcript fuzz/corpus/manifest fuzz/corpus/markdown fuzz/corpus/query fuzz/corpus/redaction
	@cp stories-sample/stories/*/*.vtt stories-sample/stories/*/*.srt stories-sample/stories/*/*.txt fuzz/corpus/transcript/ 2>/dev/null || true
	@cp stories-sample/stories/*/*.story.json tests/data/hostile/*.story.json fuzz/corpus/manifest/ 2>/dev/null || true
	@cp stories-sample/stories/*/*.md fuzz/corpus/markdown/ 2>/dev/null || true
	@cp stories-sample/stories/*/*.md fuzz/corpus/redaction/ 2>/dev/null || true
	@printf '%s' '"waiting room" AND (gp OR doctor*) NOT bus' > fuzz/corpus/query/seed-1
	@printf '%s' 'hameenlinna asunnot odottaa' > fuzz/corpus/query/seed-2
	@for target in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -max_len=65536) || exit 1; \
	done
