# onceonly: `make run` sets up and runs the main job, then serves the API; `make test` tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
export ONCEONLY_HOME ?= var
export DAGSTER_HOME ?= $(CURDIR)/var/dagster
export UV_NO_PROGRESS := 1
ONCEONLY := $(UV) run --frozen onceonly
SAMPLE_PERSONS ?= 20000
SAMPLE_ENTERPRISES ?= 2000
# Where `make run` serves (e.g. `make run API_PORT=8080`); `onceonly demo` prints the same.
API_HOST ?= 127.0.0.1
API_PORT ?= 8000

# Every Python process of `make test` (the xdist workers, each `onceonly` command and server a
# test starts, Spark's Python workers) imports the same libraries. Compiled once, at install for
# the libraries and on first import for ours, instead of from source by every process, as
# happens where PYTHONDONTWRITEBYTECODE is set: importing the API took 7 s instead of 3.4 s.
unexport PYTHONDONTWRITEBYTECODE
export UV_COMPILE_BYTECODE := 1

CHROMIUM ?= /usr/bin/chromium
# Debian's packages need root: sudo when make runs as another user.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install browser java postgres bench-tools run ingest serve ui test lint bench clean

install: .venv/.installed

.venv/.installed: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

run: install  ## sample landing zone (once), land + certify + publish, sample catalogue, serve
	@test -d $(ONCEONLY_HOME)/landing || $(ONCEONLY) generate --persons $(SAMPLE_PERSONS) --enterprises $(SAMPLE_ENTERPRISES) --case-days 730
	$(ONCEONLY) catalogue sample
	$(ONCEONLY) ingest
	$(ONCEONLY) analytics summary
	$(ONCEONLY) demo --host $(API_HOST) --port $(API_PORT)
	$(ONCEONLY) serve --host $(API_HOST) --port $(API_PORT)

ui: install  ## the Dagster UI (and daemon, for the sensor and schedules) on the same workspace
	@mkdir -p $(DAGSTER_HOME)
	$(UV) run --frozen python -c "from pipelines.instance import ensure_dagster_home; ensure_dagster_home()"
	$(UV) run --frozen dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Installs Debian packages once, whichever `make` gets there first: two `make test` started
# side by side wait for each other on one lock (and on dpkg's own, for any other apt-get) instead
# of failing on it, and the second finds the packages there when its turn comes.
APT_LOCK := /var/lock/onceonly-apt.lock
define apt_install
$(SUDO) flock $(APT_LOCK) $(SHELL) -c '$(1) || { \
  apt-get -o DPkg::Lock::Timeout=600 update -qq && \
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends $(2); }'
endef

browser:  ## Debian's Chromium and a Chinese font, for the console's browser tests
	@test -x $(CHROMIUM) && fc-list :lang=zh 2>/dev/null | grep -q . || \
	  $(call apt_install,test -x $(CHROMIUM) && fc-list :lang=zh 2>/dev/null | grep -q .,chromium chromium-driver fonts-wqy-microhei fontconfig)

# Spark 4 and its Hadoop libraries need Java 17 (newer JVMs refuse Hadoop's security calls):
# `java -version` says 17, or Debian's OpenJDK 17 is there (the Spark engine and its tests
# find it under /usr/lib/jvm whatever `java` on the PATH is).
JAVA17 = ( for j in java /usr/lib/jvm/java-17-openjdk-*/bin/java; do \
  $$j -version 2>&1 | grep -q "version \"17" && exit 0; done; exit 1 )

java:  ## Debian's OpenJDK 17, for the Spark engine and its tests
	@$(JAVA17) || $(call apt_install,$(JAVA17),openjdk-17-jre-headless)

# The directory's tests run every case on SQLite and on a throw-away PostgreSQL cluster that
# they start themselves (initdb + pg_ctl), so they need the server's programs, not a service.
PG_FOUND = ( for d in /usr/lib/postgresql/*/bin; do \
  test -x $$d/initdb && test -x $$d/pg_ctl && exit 0; done; exit 1 )

postgres:  ## Debian's PostgreSQL server programs, for the directory's tests on PostgreSQL
	@$(PG_FOUND) || $(call apt_install,$(PG_FOUND),postgresql)

bench-tools: postgres  ## wrk, the load generator bench/api.py prefers (and PostgreSQL for its topology run)
	@command -v wrk >/dev/null || $(call apt_install,command -v wrk >/dev/null,wrk)

test: install browser java postgres  ## the code location as the UI loads it, then the whole suite
	@mkdir -p $(DAGSTER_HOME)
	$(UV) run --frozen python -c "from pipelines.instance import ensure_dagster_home; ensure_dagster_home()"
	$(UV) run --frozen dagster definitions validate -w workspace.yaml
	$(UV) run --frozen pytest -q -n 2

lint: install  ## style, types, and the import rule (pyproject.toml's [tool.importlinter])
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports --no-cache

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
