# Set-up and everyday commands. `make run` and `make test` work on a fresh machine:
# they create .venv, install torch==2.13.0 first (CPU wheel), then ilner with its extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q --disable-pip-version-check
# torch's CPU build comes from PyTorch's CPU wheel index (from PyPI the pin is the CUDA build,
# gigabytes). Where that index cannot be reached (a machine that sees only a PyPI mirror), the
# plain pin, after 10 s at most. On a GPU: `make TORCH_INDEX=` (the plain pin: CUDA on Linux) or
# `make TORCH_INDEX=https://download.pytorch.org/whl/cu126` (the CUDA build of your choice).
TORCH ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# The dataset mirror beside the checkout, if there is one; otherwise data is downloaded.
ILNER_DATA_DIR ?= $(wildcard $(abspath ../shared/datasets))
export ILNER_DATA_DIR

.PHONY: install run run-cpu run-indic test bench bench-speed clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --timeout 10 --retries 0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) '$(TORCH)' \
	  || { echo "$(or $(TORCH_INDEX),the index) not reachable: the plain pin $(TORCH) then"; $(PIP) '$(TORCH)'; }
	$(PIP) -e '.[train,dev,roman,onnx,gazetteer,serve,spacy,ray]'
	touch $@

install: $(VENV)/.installed

# Main job: check IL-NER, then train on the CPU (the fast preset: a BiLSTM-CRF from scratch, no
# downloaded weights; all four languages in one model, 11 epochs of every sentence with an entity
# and 20% of the others, then 2 epochs on Odia and on Telugu alone; runs/fast) and print test strict
# F1 per language and per type. 12-16 minutes on 2 cores.
run: install
	$(BIN)/ilner data check 'il-ner:*:*'
	$(BIN)/ilner train --preset fast

# The best CPU recipe, about an hour on 2 cores (the cpu preset: two BiLSTM-CRFs, HiNER first,
# 16 epochs of all four languages, 4 on each language alone; runs/cpu). Test F1 0.1-0.4 above make run.
run-cpu: install
	$(BIN)/ilner data check 'il-ner:*:*'
	$(BIN)/ilner train --preset cpu

# One model for seven languages from IL-NER and five outside corpora (the indic preset; runs/indic).
run-indic: install
	$(BIN)/ilner train --preset indic

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/evaluate.py

# Training words/s of the cpu preset against spaCy's `spacy train` on the same data (spaCy in its
# own environment, benchmarks/.venv-spacy, built on the first run). E.g. BENCH_ARGS='--epochs 2'.
bench-speed: install
	$(BIN)/python benchmarks/train_speed.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) benchmarks/.venv-spacy .pytest_cache build src/*.egg-info
