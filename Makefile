# Storybank's tasks. `make ci` is exactly what CI runs (.ci/run calls `make lint` and `make test`).
.DEFAULT_GOAL := help
CARGO ?= cargo
DATA ?= demo-data
# The full run (20k text stories, 40 photos, 100k-story search corpus with the FTS5 baseline) takes
# about 10 minutes on 2 cores; e.g. BENCH_ARGS="--search-stories 10000" for a quicker look.
BENCH_ARGS ?=

.PHONY: help run test lint ci bench

help: ## List the tasks
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

run: ## Build, load the sample stories into a fresh ./demo-data, and show what is there
	$(CARGO) build --release --bin storybank
	rm -rf $(DATA)
	./target/release/storybank --data-dir $(DATA) ingest stories-sample
	./target/release/storybank --data-dir $(DATA) stories list
	@echo
	@echo "The sample archive is in ./$(DATA). The web app (log-in, pages on http://127.0.0.1:8080) is not built yet;"
	@echo "meanwhile: ./target/release/storybank --data-dir $(DATA) stories show ID"

test: ## Build the binary and run every test (unit, integration)
	$(CARGO) build --bin storybank
	$(CARGO) test --workspace

lint: ## Formatting and clippy, warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

ci: lint test ## What CI runs

bench: ## Benchmarks (a harness, not tests); results go in docs/benchmarks.md by hand
	$(CARGO) run --release -p storybank-bench -- $(BENCH_ARGS)
