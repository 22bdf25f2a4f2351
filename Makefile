# aftersales — two commands: `make up` runs everything, `make test` tests everything.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SERVICE ?=
SERVICES := reception workshop parts warranty crm

.PHONY: bench chaos up test install lint typecheck unit e2e contracts token topics clean help browser-deps

help:
	@echo "make up                 start broker + five services with demo data (Ctrl-C stops)"
	@echo "make test               lint, type-check and run every test"
	@echo "make test SERVICE=parts test one service alone"
	@echo "make token LOGIN=advisor.bj01  print a bearer token"
	@echo "make chaos              kill -9 services under load (1 and 2 replicas), check nothing lost/doubled"
	@echo "make contracts          refresh the event-schema snapshots after a compatible change"

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
browser-deps:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi "noto sans cjk" || \
	  { echo "installing chromium and CJK fonts (apt)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	    || echo "could not install chromium: browser tests will be skipped"; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

up: install
	$(PY) -m deploy.run

ifeq ($(SERVICE),)
test: install lint typecheck browser-deps
	$(PY) -m pytest -q -p no:cacheprovider
else
test: install
	$(VENV)/bin/ruff check services/$(SERVICE)
	$(VENV)/bin/ruff format --check services/$(SERVICE)
	$(VENV)/bin/mypy services/$(SERVICE)
	$(PY) -m pytest -q -p no:cacheprovider services/$(SERVICE)
endif

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy shared services tests bench

# the benchmarks run on PostgreSQL (the local server unless TEST_POSTGRES_URL says otherwise)
bench: export TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
bench: install
	$(PY) -m bench.handlers --events $${EVENTS:-1000}
	$(PY) -m bench.events --events $${EVENTS:-2000} --stations 1
	$(PY) -m bench.lifecycle --stations $${STATIONS:-1,10,100} --duration $${DURATION:-300} \
		--concurrency $${CONCURRENCY:-32}

chaos: install
	$(PY) -m bench.chaos --replicas 1 --duration $${DURATION:-480} --kills $${KILLS:-100}
	$(PY) -m bench.chaos --replicas 2 --duration $${DURATION:-480} --kills $${KILLS:-100}

e2e: install
	$(PY) -m pytest -q tests/e2e

contracts: install
	$(PY) -c "from pathlib import Path; from shared.contracts.schema import write_snapshots; write_snapshots(Path('tests/contract/snapshots'))"

token: install
	@$(PY) -m shared.cli token $(LOGIN)

topics: install
	$(PY) -m shared.cli topics

clean:
	rm -rf data reports .pytest_cache
