# policyqa — two commands on a fresh machine:
#   make demo   venv + install + ingest samples/docs + serve the chat on 127.0.0.1:7860
#   make test   venv + install + the whole test suite (slow, browser and server tests included)

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= kb
EXTRAS ?= dev,st,openai,local-llm,ocr
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install demo serve test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch is pinned to the CPU build on local disk: an unpinned torch pulls a multi-GB CUDA build
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/policyqa ingest samples/docs --store $(STORE)
	$(BIN)/policyqa serve --store $(STORE)

serve: install
	$(BIN)/policyqa serve --store $(STORE)

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser and not server"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache .ruff_cache .mypy_cache
