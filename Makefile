# Set-up and everyday commands. `make run` and `make test` work on a fresh machine:
# they create .venv, install torch==2.13.0 first (CPU wheel), then ilner with its extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The dataset mirror beside the checkout, if there is one; otherwise data is downloaded.
ILNER_DATA_DIR ?= $(wildcard $(abspath ../shared/datasets))
export ILNER_DATA_DIR

.PHONY: install run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -e '.[train,dev,roman,onnx,gazetteer]'
	touch $@

install: $(VENV)/.installed

# Main job: check IL-NER, then train on the CPU (the cpu preset: a BiLSTM-CRF from scratch, no
# downloaded weights; HiNER first, then all four languages in one model, then each language alone)
# and print test strict F1 per language and per type.
run: install
	$(BIN)/ilner data check 'il-ner:*:*'
	$(BIN)/ilner train --preset cpu

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/evaluate.py

clean:
	rm -rf $(VENV) .pytest_cache build src/*.egg-info
