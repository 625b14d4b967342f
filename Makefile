# Two commands matter: `make run` and `make test` (`make test-e2e`: the browser suite). Both bootstrap .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

# The vulnerability audit: pip-audit in a tool venv of its own, so it never touches .venv.
AUDIT_VENV := .venv-audit
PIP_AUDIT_VERSION := 2.10.1
AUDIT_STAMP := $(AUDIT_VENV)/.pip-audit-$(PIP_AUDIT_VERSION)
AUDIT_REPORT := $(AUDIT_VENV)/report.json
AUDIT_LOG := $(AUDIT_VENV)/pip-audit.log
AUDIT_VERDICT := $(AUDIT_VENV)/verdict
AUDIT_TIMEOUT ?= 60

.PHONY: run test test-e2e bench assets install clean lint audit bandit

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) assets

# htmx is copied into static/vendor/ from the npm registry; the site works without it.
assets: static/vendor/htmx.min.js
static/vendor/htmx.min.js: package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --silent && mkdir -p static/vendor && \
		cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js; \
	else echo "npm not found: serving the portal without htmx (every page works without it)"; fi

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# The browser suite has its own target (CI runs each once): `make test` leaves it out.
test: install
	$(BIN)/pytest --ignore=tests/browser $(PYTEST_ARGS)

# End-to-end in a real browser: tests/browser/ starts gunicorn on a demo-seeded SQLite file and
# drives Debian's Chromium (/usr/bin/chromium, never a downloaded browser) through Playwright.
test-e2e: install
	$(BIN)/pytest tests/browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check portal tests bench

# Static security analysis of the portal's code: every finding is listed, a high-severity one
# fails (accepted lower findings carry a `# nosec` with the reason on their line).
bandit: $(STAMP)
	$(BIN)/bandit -q -r portal --exit-zero
	$(BIN)/bandit -q -r portal --severity-level high

bench: install
	$(BIN)/python -m bench.run

$(AUDIT_STAMP):
	$(PY) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check pip-audit==$(PIP_AUDIT_VERSION)
	touch $@

# The gate exits 0 when every pinned dependency was audited and none is vulnerable, 1 on
# vulnerabilities (listed), 3 when the audit did not run or is incomplete (dependencies
# skipped, pip-audit failed or timed out, no report): never a pass. make turns 1 and 3 into
# its own 2, so the outcome is also written to $(AUDIT_VERDICT) for .ci/run.
# pip-audit's own output goes to $(AUDIT_LOG).
audit:
	@mkdir -p $(AUDIT_VENV) && rm -f $(AUDIT_REPORT) $(AUDIT_LOG) $(AUDIT_VERDICT)
	@echo "== vulnerability audit: pip-audit $(PIP_AUDIT_VERSION) on requirements.txt (limit $(AUDIT_TIMEOUT)s) =="
	@gate="--pip-audit-exit 0"; \
	if [ -f $(AUDIT_STAMP) ] || timeout -k 5 120 $(MAKE) --no-print-directory $(AUDIT_STAMP) >$(AUDIT_LOG) 2>&1; then \
		timeout -k 5 $(AUDIT_TIMEOUT) $(AUDIT_VENV)/bin/pip-audit --no-deps --disable-pip \
			--requirement requirements.txt --format json --output $(AUDIT_REPORT) \
			--progress-spinner off --timeout 10 >>$(AUDIT_LOG) 2>&1 || gate="--pip-audit-exit $$?"; \
	else gate=--install-failed; fi; \
	$(PY) .ci/vulnerability_gate.py $$gate --requirements requirements.txt \
		--log $(AUDIT_LOG) --verdict $(AUDIT_VERDICT) $(AUDIT_REPORT)

clean:
	rm -rf $(VENV) $(AUDIT_VENV) node_modules static/vendor
