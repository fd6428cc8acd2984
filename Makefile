# otrs-customer-admin
#
#   make demo   install, migrate, load demo data, print the demo login, serve on 127.0.0.1:8000
#               with the job worker (manage.py db_worker) beside the server
#   make test   install the system packages and the venv, then run the whole test suite
#   make docs   build the documentation (docs/) into build/docs/ with MkDocs, warnings as errors
#
# Variables: VENV (default .venv), PYTEST_ARGS (passed to pytest), PYTHON (the
# interpreter to build the venv with; default: the first Python 3.12+ that
# scripts/find-python finds), DATABASE_URL (postgres://... to test on PostgreSQL),
# DJANGO (a pip requirement that pins Django in the venv, e.g. DJANGO='Django>=5.2,<5.3';
# use it with a VENV of its own).

SHELL := bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTEST_ARGS ?=
DJANGO ?=
DEMO_ADDRESS ?= 127.0.0.1:8000

PY := $(VENV)/bin/python
MANAGE := $(PY) example_project/manage.py
# The venv is reinstalled whenever the package metadata (setup.cfg) changes.
SETUP_HASH := $(shell cat setup.cfg 2>/dev/null | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-16)
DJANGO_HASH := $(if $(DJANGO),-$(shell printf '%s' '$(DJANGO)' | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-8))
STAMP := $(VENV)/.installed-$(SETUP_HASH)$(DJANGO_HASH)
LINT_PATHS := $(wildcard otrs_customer_admin example_project tests bench scripts)
LDAP_HEADERS := /usr/include/ldap.h /usr/include/sasl/sasl.h

.PHONY: help venv install system-deps test docs screenshots demo bench bench-import-memory bench-import-job bench-ldap bench-history bench-recompute bench-pages bench-dynamic-fields bench-customer-groups bench-export bench-load lint format wheel clean distclean

help: ## show this list
	@echo "Usage: make TARGET [VENV=.venv] [PYTEST_ARGS='...'] [PYTHON=/path/to/python3.12] [DJANGO='Django>=5.2,<5.3']"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: ## create the venv (VENV, default .venv) with the test, ldap and docs extras; reinstalls when setup.cfg changes
	@set -e; \
	python_ok() { "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
	headers_present() { for h in $(LDAP_HEADERS); do [ -f "$$h" ] || return 1; done; }; \
	if [ -f "$(STAMP)" ] && python_ok && ! { grep -qx 'ldap=no' "$(STAMP)" && headers_present; }; then exit 0; fi; \
	if ! python_ok; then \
		py=$$(scripts/find-python) || { echo "make: cannot create $(VENV): no Python 3.12 or newer (see above)." >&2; exit 1; }; \
		echo "Creating $(VENV) with $$py ($$("$$py" -V 2>&1))"; \
		rm -rf "$(VENV)"; \
		"$$py" -m venv "$(VENV)"; \
	fi; \
	"$(PY)" -m pip install --quiet --upgrade pip; \
	echo "Installing otrs-customer-admin into $(VENV) (editable, with the test, ldap and docs extras)"; \
	if "$(PY)" -m pip install --quiet -e ".[test,ldap,docs,jobs,rq]" >"$(VENV)/pip-install.log" 2>&1; then \
		ldap=yes; \
	else \
		tail -n 15 "$(VENV)/pip-install.log" >&2; \
		echo "make: installing the ldap extra failed (python-ldap builds from source and needs the" >&2; \
		echo "      Debian packages libldap2-dev and libsasl2-dev; full log: $(VENV)/pip-install.log)." >&2; \
		echo "      Installing without it: the LDAP tests will skip. Run scripts/install-system-deps" >&2; \
		echo "      (or: sudo apt-get install libldap2-dev libsasl2-dev), then make again." >&2; \
		"$(PY)" -m pip install --quiet -e ".[test,docs,jobs,rq]"; \
		ldap=no; \
	fi; \
	if [ -n '$(DJANGO)' ]; then \
		echo "Installing $(DJANGO) into $(VENV)"; \
		"$(PY)" -m pip install --quiet '$(DJANGO)'; \
	fi; \
	rm -f "$(VENV)"/.installed-*; \
	echo "ldap=$$ldap" >"$(STAMP)"

install: venv ## same as venv

system-deps: ## install the Debian packages the LDAP and browser tests need (as root; otherwise prints the command)
	@scripts/install-system-deps

test: ## system packages, venv, then the whole suite with PYTEST_ARGS; under CI=true a skip fails
	@scripts/install-system-deps
	@$(MAKE) --no-print-directory venv
	$(PY) -m pytest $(PYTEST_ARGS)

docs: venv ## the documentation as HTML in build/docs/ (MkDocs Material, mkdocs.yml; a warning fails the build)
	@set -e; started=$$(date +%s); \
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --clean --config-file mkdocs.yml --site-dir build/docs; \
	echo "Documentation built in $$(( $$(date +%s) - started )) s: build/docs/index.html"

screenshots: venv ## retake the docs' screenshots (docs/images/, English and German) from the example site in Chromium
	@scripts/install-system-deps
	DOCS_SCREENSHOTS=1 $(PY) -m pytest tests/test_e2e_docs_screenshots.py $(PYTEST_ARGS)

demo: venv ## migrate, load the demo data, print the demo login, serve the example site on 127.0.0.1:8000 with its job worker
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo_data
	@echo
	@$(MANAGE) demo_superuser --address $(DEMO_ADDRESS)
	@echo
	@echo "Example site: http://$(DEMO_ADDRESS)/admin/ (log in as printed above; Ctrl-C stops the server and the worker)"
	@echo "Job worker: manage.py db_worker runs the admin's imports, exports and syncs in the background"
	@echo
	@# The worker in the background, stopped when the server stops (Ctrl-C, or the server failing).
	@$(MANAGE) db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MANAGE) runserver $(DEMO_ADDRESS)

bench: venv ## the import benchmark: this import vs a plain ModelResource, with and without use_bulk, vs raw bulk_create (BENCH_ROWS=100000)
	$(PY) bench/import_bench.py --rows $(or $(BENCH_ROWS),100000)

bench-import-memory: venv ## peak memory of import_customer_users vs the file's size (BENCH_ROWS="250000 500000 1000000"; DATABASE_URL for PostgreSQL)
	$(PY) bench/import_memory.py --rows $(or $(BENCH_ROWS),250000 500000 1000000)

bench-import-job: venv ## new customer users imported through a job by a real db_worker: rows/s and the worker's peak memory (BENCH_ROWS=1000000; DATABASE_URL for PostgreSQL)
	$(PY) bench/import_job_bench.py --rows $(or $(BENCH_ROWS),1000000)

bench-history: venv ## the history's cost: imports and syncs of 100,000 rows with HISTORY on vs off, the History widget of 10,000 changes
	@scripts/install-system-deps
	$(PY) bench/history_bench.py --rows $(or $(BENCH_ROWS),100000) --entries $(or $(BENCH_ENTRIES),100000)

bench-recompute: venv ## new deadlines for 200,000 open tickets after their calendars changed: tickets/s vs the per-ticket way (BENCH_TICKETS; DATABASE_URL for PostgreSQL)
	$(PY) bench/recompute_bench.py --tickets $(or $(BENCH_TICKETS),200000)

bench-ldap: venv ## the LDAP sync vs ldapsearch paging, from a real slapd (10,000 customers, 50,000 customer users)
	@scripts/install-system-deps
	$(PY) bench/ldap_bench.py --customers $(or $(BENCH_CUSTOMERS),10000) --customer-users $(or $(BENCH_CUSTOMER_USERS),50000)

bench-pages: venv ## admin pages at 100,000 customers / 1,000,000 tickets vs a plain ModelAdmin (DATABASE_URL for PostgreSQL)
	$(PY) bench/pages_bench.py --customers $(or $(BENCH_CUSTOMERS),100000) \
		--customer-users $(or $(BENCH_CUSTOMER_USERS),500000) --tickets $(or $(BENCH_TICKETS),1000000)

bench-dynamic-fields: venv ## the customer list with 3 dynamic-field columns and a filter, and DynamicField_Tier:gold, at 100,000 customers (DATABASE_URL for PostgreSQL)
	$(PY) bench/dynamic_fields_bench.py --customers $(or $(BENCH_CUSTOMERS),100000)

bench-customer-groups: venv ## customer groups: an agent in 5 of 1,000 groups vs a superuser on the lists, search and detail, at 100,000 customers (DATABASE_URL for PostgreSQL)
	$(PY) bench/customer_groups_bench.py --customers $(or $(BENCH_CUSTOMERS),100000)

bench-export: venv ## streamed exports of 100,000 and 500,000 customer users (CSV, XLSX) vs values_list + csv.writer, with peak memory (BENCH_ROWS; DATABASE_URL for PostgreSQL)
	$(PY) bench/export_bench.py --rows $(or $(BENCH_ROWS),100000 500000)

bench-load: venv ## the example site under gunicorn, 20 clients for 60 s (DATABASE_URL=postgres://..., after bench-pages)
	$(PY) -m pip install --quiet "gunicorn>=22"
	$(PY) bench/load_bench.py --clients 20 --seconds 60

lint: venv ## ruff check and ruff format --check
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: venv ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

wheel: venv ## build the wheel (and sdist) into dist/
	rm -rf build
	$(PY) -m build --outdir dist .

clean: ## remove build output and caches (keeps the venv)
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache test-artifacts
	find . -path './$(VENV)' -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove the venv too
	rm -rf "$(VENV)"
