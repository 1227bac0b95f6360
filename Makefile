# micronas — see README.md.
SHELL := /bin/bash
APT_PACKAGES := libunicorn-dev libcapstone-dev gcc-arm-none-eabi libnewlib-arm-none-eabi libopenblas-dev pkg-config zlib1g-dev libsqlite3-dev
VENV := .venv
# Pinned so every machine compares against the same interpreters (tflite-micro publishes only pre-releases).
LITERT := ai-edge-litert==2.3.0
TFLM := tflite-micro==0.dev20261023182759
SWIFT_BUILD_FLAGS ?=
# The emulated Cortex-M33 board (alias cortex-m33).
DEMO_BOARD ?= nucleo-l552ze-q
BIN := .build/release/micronas

.PHONY: setup build release test check-imports demo bench-emulator bench-kernels bench-train bench-search fuzz verify-deploy profile-fixtures profile-mlperf clean

## setup: install system packages (only the missing ones) and the Python verification venv. Idempotent.
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else echo "setup: system packages present"; fi
	@if [ ! -x $(VENV)/bin/python ]; then python3 -m venv $(VENV); fi
	@$(VENV)/bin/python -c 'import numpy' 2>/dev/null || $(VENV)/bin/pip install -q numpy
	@# The external reference interpreters (docs: scripts/reference_interpreters.py): LiteRT and TFLM's Python runtime.
	@$(VENV)/bin/python -c 'import ai_edge_litert.interpreter' 2>/dev/null || $(VENV)/bin/pip install -q $(LITERT)
	@$(VENV)/bin/python -c 'import tflite_micro' 2>/dev/null || $(VENV)/bin/pip install -q --pre $(TFLM)
	@echo "setup: done"

## check-imports: the module table of docs/DESIGN.md against every import and Package.swift dependency.
check-imports:
	python3 scripts/check-imports.py

build: setup
	swift build $(SWIFT_BUILD_FLAGS)

release: setup
	swift build -c release

## test: setup + the module rules (docs/DESIGN.md) + build + every test.
test: setup
	python3 scripts/check-imports.py
	swift build --build-tests
	swift test --skip-build --disable-swift-testing

## demo: setup + the main job: a short hardware-aware search on the emulated Cortex-M33 for UCI-HAR
## (fetched from the real HAPT recordings the first time) within 25 ms and a 64 KB arena — the lookup
## table characterized, 3 search epochs, 6 retraining epochs (QAT), the int8 model measured on the
## emulated board, the result table at the end. Everything it writes goes under $MICRONAS_CACHE
## (default ~/.cache/micronas; the run in runs/), nothing into the checkout; run again, it resumes
## the finished run and prints the table.
demo: release
	$(BIN) targets
	@echo
	$(BIN) dataset fetch uci-har
	@echo
	$(BIN) search --emulate $(DEMO_BOARD) --dataset uci-har --latency 25ms --memory 64KB --epochs 3 --retrain-epochs 6

## fuzz: every parser of outside input (ELF, .tflite, .npy, HAPT RawData, CSV recordings, Graph JSON, calibration traces, logs and suite manifests, board and core files, lookup
## tables) fed random mutations of valid inputs for FUZZ_SECONDS each (default 600); a trap stops it
## and leaves the input under $MICRONAS_CACHE/fuzz/. make test runs the same for 1 s each.
FUZZ_SECONDS ?= 600
fuzz: setup
	swift build --build-tests
	MICRONAS_FUZZ_SECONDS=$(FUZZ_SECONDS) swift test --skip-build --disable-swift-testing --filter FuzzTests

## bench-emulator: emulated MIPS with cycle accounting vs raw Unicorn on the same program.
bench-emulator: release
	@for b in nucleo-l552ze-q nucleo-f446re portenta-h7; do \
	  elf=$$($(BIN) build --target $$b bench/emulator/dotloop.c) || exit 1; \
	  $(BIN) bench emulator --target $$b $$elf || exit 1; \
	done

## bench-kernels: cycles of every kernel on the search-space shape set, per emulated core.
bench-kernels: release
	$(BIN) kernels bench --target cortex-m4
	$(BIN) kernels bench --target cortex-m33
	$(BIN) kernels bench --target cortex-m7

## bench-train: training-step windows/s of the reference and supernet-sized networks vs PyTorch (when
## importable by TORCH_PYTHON, default .venv/bin/python), same batch (32) and threads, same run.
TORCH_PYTHON ?= $(VENV)/bin/python
bench-train: release
	$(BIN) bench train --python $(TORCH_PYTHON)

## bench-search: seconds per search epoch on UCI-HAR (at the schedule's start and late in it) vs a
## training epoch of the reference network, same data and threads, same run.
bench-search: release
	$(BIN) bench search --emulate $(DEMO_BOARD) --dataset uci-har

## verify-deploy: 250 random int8 models bit for bit across micronas run (emulated), the host build, LiteRT and TFLM.
verify-deploy: setup
	swift build --build-tests
	MICRONAS_RANDOM_MODELS=250 swift test --skip-build --disable-swift-testing --filter ExternalInterpreterTests

## profile-fixtures: micronas profile of the converter-written fixture models on the three boards.
profile-fixtures: release
	@for m in Tests/DeployTests/Fixtures/*.tflite; do for t in cortex-m4 cortex-m33 cortex-m7; do \
	  $(BIN) profile --target $$t $$m || exit 1; echo; done; done

## profile-mlperf: the MLPerf Tiny-style models (bench/mlperf-tiny, scripts/make_mlperf_tiny_models.py) on the
## board MLPerf Tiny publishes reference latencies for (NUCLEO-L4R5ZI, 120 MHz); see docs/benchmarks.md.
MLPERF_BOARD ?= nucleo-l4r5zi
profile-mlperf: release
	@for m in bench/mlperf-tiny/*.tflite; do $(BIN) profile --target $(MLPERF_BOARD) $$m --samples 1 || exit 1; echo; done

clean:
	rm -rf .build .build-*
