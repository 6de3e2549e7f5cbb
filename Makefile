# On a fresh clone: `make run` (the service), `make demo` (a whole process in a minute) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Debian packages: WeasyPrint's text stack and fonts for the documents; PostgreSQL for the tests (they start a
# throwaway server of their own); Chromium for the portal's browser tests (Playwright drives Debian's build at
# /usr/bin/chromium: never `playwright install`, which downloads a browser of its own).
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2
TEST_PACKAGES := $(RUN_PACKAGES) postgresql chromium
PORT ?= 8000

.PHONY: run demo test lint format setup clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

define install_debian_packages
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "instalando paquetes de Debian:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "faltan paquetes de Debian: sudo apt-get install$$missing"; exit 1; fi; \
	fi
endef

# The service on its embedded defaults: the shipped calendars, data in var/, the system clock.
run: setup
	$(call install_debian_packages,$(RUN_PACKAGES))
	$(BIN)/convoca calendar validate calendars/*.yaml
	@echo "Para entrar como administración: $(BIN)/convoca admin token create (y péguelo en http://127.0.0.1:$(PORT)/entrar)"
	@echo "Para ver un proceso completo en acción, en otra terminal: make demo"
	$(BIN)/convoca serve --port $(PORT)

# Durango 2021-2022 replayed from the convocatoria to the dictamen in about a minute; results in out/demo/.
demo: setup
	$(call install_debian_packages,$(RUN_PACKAGES))
	$(BIN)/convoca demo

test: setup
	$(call install_debian_packages,$(TEST_PACKAGES))
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
