# cloudbill — run `make help` for the targets.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/cloudbill

.PHONY: help build demo test test-sqlite vet lint bench bench-ingest bench-settle bench-monthly bench-reports bench-web deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/cloudbill (and bin/measure, the benchmarks' driver)
	$(GO) build -o $(BIN) ./cmd/cloudbill
	$(GO) build -o bin/measure ./scripts/measure

deps: ## install poppler-utils, qpdf, chromium and the CJK font when missing (as root), or say what to install
	@scripts/deps.sh

demo: build deps ## the whole pipeline on a fresh embedded SQLite database, documents in demo/
	$(BIN) demo --out demo

test: deps lint ## lint, then all tests, SQLite and a throwaway PostgreSQL (never skipped)
	CLOUDBILL_REQUIRE_POSTGRES=1 CLOUDBILL_REQUIRE_BROWSER=1 scripts/with-postgres.sh $(GO) test -count=1 -timeout 12m ./...

test-sqlite: ## quick tests without PostgreSQL: PostgreSQL cases, whole-year runs, page-break sweeps and the browser skip (-short); make test runs all
	$(GO) test -short -count=1 ./...

vet: ## go vet
	$(GO) vet ./...

STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck
STATICCHECK_VERSION := v0.8.2

lint: vet ## go vet and staticcheck (installed into GOPATH/bin when missing), clean
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	@$(GO) mod tidy -diff

bench: build deps ## every benchmark: load, ingest, settle, findings, reports
	scripts/with-postgres.sh scripts/bench.sh all

bench-ingest: build ## ingest 1M rows into PostgreSQL vs psql \copy, SQLite rate, peak RSS at 10M rows
	scripts/with-postgres.sh scripts/bench.sh ingest

bench-settle: build ## settle vs a full scan of the year's usage, two sizes, both engines
	scripts/with-postgres.sh scripts/bench.sh settle

bench-monthly: build deps ## the monthly report vs the annual settlement of the same 20,000 resources, both engines
	scripts/with-postgres.sh scripts/bench-monthly.sh

bench-reports: build deps ## all documents for the fixture year, pages per second
	scripts/bench.sh reports

bench-web: build ## the portal's district and line pages, 20,000 resources, 50 sessions: p50, p99 (SQLite and PostgreSQL)
	scripts/with-postgres.sh scripts/bench-web.sh

clean: ## remove build output
	rm -rf bin demo
