# OneMed Kiosk — every set-up step lives here, so that on a fresh Debian 12
# machine `make run` and `make test` are all it takes.
#
#   make run         build, then run the kiosk (replay of sample images when no camera)
#   make screenshots every screen as a PNG in out/screenshots
#   make demo        the onemed command on every sample image
#   make test        format check, clippy, and every test, with real OpenVINO inference
#   make check       the everyday loop: fmt, clippy, unit, CLI and kiosk tests (no root)
#   make pot         the translation template (translations/onemed.pot), merged into each .po
#   make bench       speed, side by side with the original Python pipeline
#   make torture     the register's SIGKILL durability test, 2000 kills (~6 min)
#   make fuzz        cargo-fuzz on the image and DICOM decoders, FUZZ_SECONDS (300) per target
#   make venv        the OpenVINO runtime (PyPI wheel) in .venv
#   make bench-venv  the original pipeline's Python (OpenVINO, Pillow, numpy) and pydicom in .bench-venv

SHELL       := /bin/bash
OV_VERSION  := 2026.4.1
PYTHON      ?= python3
VENV        := .venv
BENCH_VENV  := .bench-venv
SHARED      ?= $(abspath ../shared)
STAMPS      := target/.stamps
CARGO       ?= cargo
BIN         := target/release/onemed

export ONEMED_MODELS ?= $(SHARED)/models
export OPENVINO_INSTALL_DIR ?= $(abspath $(VENV))

.PHONY: all run demo screenshots test check lint build deps venv bench bench-venv clean toolchain torture fuzz pot

all: build

toolchain:
	@command -v $(CARGO) >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs), then run make again." >&2; exit 1; }

$(STAMPS)/system: scripts/setup-system.sh
	@mkdir -p $(STAMPS)
	bash scripts/setup-system.sh
	@touch $@

deps: $(STAMPS)/system

$(VENV)/.ok:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check openvino==$(OV_VERSION)
	@touch $@

venv: deps $(VENV)/.ok

# pydicom and its JPEG 2000 / JPEG / JPEG-LS plugins: the CT phantom
# (scripts/ct_phantom.py) and pydicom's reading of it, which the DICOM tests
# compare with (the newest plugins need numpy 2; these are the last for 1.26).
# The stamp depends on this Makefile so that an existing venv gets new pins.
$(BENCH_VENV)/.ok: Makefile
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check \
	  openvino==$(OV_VERSION) pillow==13.0.0 numpy==1.26.4 \
	  pydicom==3.0.2 pylibjpeg==2.0.1 pylibjpeg-openjpeg==2.3.0 pylibjpeg-libjpeg==2.2.0 pyjpegls==1.4.0
	@touch $@

bench-venv: deps $(BENCH_VENV)/.ok

build: toolchain venv
	$(CARGO) build --release

# A development register key (random, this checkout only), standing in for the
# systemd credential: `make run` keeps an encrypted register like the kiosk does.
DEV_CREDENTIALS := $(abspath out/dev-credentials)
$(DEV_CREDENTIALS)/register-key:
	@install -d -m 0700 $(DEV_CREDENTIALS)
	@(umask 077; head -c 32 /dev/urandom > $@)
	@echo "made a development register key in $@ (the register in the data folder is encrypted with it)"

# The kiosk: the attached camera, or a replay of the sample fundus photos when
# none is attached. With no display, it runs on a virtual one (Xvfb :99).
REPLAY ?= $(SHARED)/datasets/eye/diabetic-retinopathy
run: build $(DEV_CREDENTIALS)/register-key
	@test -d "$(ONEMED_MODELS)" || { echo "models not found at $(ONEMED_MODELS): set SHARED=/path/to/shared or ONEMED_MODELS" >&2; exit 1; }
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "No display here: running the kiosk on a virtual display (:99). 'make screenshots' shows its screens."; \
	  (Xvfb :99 -screen 0 1280x800x24 >/dev/null 2>&1 &); sleep 1; export DISPLAY=:99; \
	fi; \
	CREDENTIALS_DIRECTORY=$${CREDENTIALS_DIRECTORY:-$(DEV_CREDENTIALS)} \
	SLINT_BACKEND=$${SLINT_BACKEND:-winit-software} $(BIN) kiosk --camera auto --fallback-camera "replay:$(REPLAY)?fps=30&hold=4"

# Every screen rendered at 1280x800 by the real (software) renderer, into out/screenshots.
screenshots: toolchain venv bench-venv
	rm -rf out/screenshots
	ONEMED_SCREENSHOTS=$(abspath out/screenshots) $(CARGO) test --release --test it -- kiosk:: visit::
	@ls out/screenshots

# The analysis core on every sample image, tool by tool.
demo: build
	$(BIN) models
	$(BIN) analyze --tool diabetic-retinopathy $(SHARED)/datasets/eye/diabetic-retinopathy/* $(SHARED)/datasets/eye/no-diabetic-retinopathy/*
	$(BIN) analyze --tool cataract $(SHARED)/datasets/eye/cataract/* $(SHARED)/datasets/eye/redness/*
	$(BIN) analyze --tool redness $(SHARED)/datasets/eye/redness/* $(SHARED)/datasets/eye/cataract/*
	$(BIN) analyze --tool skin-lesion $(SHARED)/datasets/skin-lesion/*/*
	$(BIN) analyze --tool covid-ct $(SHARED)/datasets/covid-ct/*/* $(SHARED)/datasets/dicom/CT_small.dcm

lint: toolchain
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings

# The DICOM tests generate CT phantoms with the bench venv and dcmtk (deps).
test: toolchain venv bench-venv lint
	$(CARGO) test --release

# The everyday loop: format, lints, the unit tests (the screening rules among
# them) and the integration tests that need neither root nor extra Debian
# packages (no tmpfs mounts, socat, age, systemd tools, dcmtk and pydicom for
# the CT phantom); the OpenVINO wheel is
# fetched once into .venv. `make test` stays the full gate.
CHECK_SKIP := --skip systemd:: --skip serial:: --skip export:: --skip records::faults:: \
              --skip a_full_or_read_only_disk --skip dicom_syntaxes:: --skip ct_series::
check: toolchain $(VENV)/.ok $(BENCH_VENV)/.ok
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings
	$(CARGO) test --release --lib
	$(CARGO) test --release --test it -- $(CHECK_SKIP)

# The translation template: every @tr() string of ui/ (slint-tr-extractor, no
# default context, as build.rs compiles them) and every word built in Rust (the
# i18n test lists them: tr/trf/trn calls in src/, the tools' texts in models/);
# then each language's .po is merged with it (msgmerge keeps what is translated;
# new strings come in untranslated and the tests say which).
SLINT_TR := $(HOME)/.cargo/bin/slint-tr-extractor
pot: toolchain venv
	@command -v msgmerge >/dev/null || apt-get install -y -qq gettext >/dev/null
	@test -x $(SLINT_TR) || $(CARGO) install --locked slint-tr-extractor@1.18.1
	$(SLINT_TR) --no-default-translation-context -d onemed -o target/ui.pot $$(find ui -name '*.slint' | sort)
	ONEMED_POT=$(abspath target/rust.pot) $(CARGO) test --release --lib -- i18n::tests::every_word_built_in_rust
	msgcat --use-first --sort-output target/ui.pot target/rust.pot -o translations/onemed.pot
	for l in $$(ls translations | grep -v '\.'); do \
	  msgmerge --quiet --update --backup=none --no-fuzzy-matching translations/$$l/LC_MESSAGES/onemed.po translations/onemed.pot; \
	done

bench: build bench-venv
	$(BIN) bench --kiosk

# Kill a process saving records 2000 times (make test does 200): every result
# shown must be in the register with its image, and the database intact.
torture: toolchain venv
	ONEMED_TORTURE_ITERATIONS=2000 $(CARGO) test --release --test torture -- --nocapture

# The decoders under libFuzzer + AddressSanitizer for a bounded time per
# target (stable Rust: scripts/fuzz.sh sets RUSTC_BOOTSTRAP=1 for cargo-fuzz's
# flags). The first run installs cargo-fuzz and builds the instrumented
# crate from scratch (~30 minutes on 2 cores; later runs rebuild only what changed).
# Crashes land in fuzz/artifacts/; fixed ones are kept in tests/regressions/.
FUZZ_SECONDS ?= 300
fuzz: toolchain deps
	SHARED="$(SHARED)" bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean
	rm -rf fuzz/target
	rm -rf $(VENV) $(BENCH_VENV)

# ---- Kiosk firmware (systemd): install, boot-to-ready ----------------------
#   make install      the release binary, the systemd unit and its user, the
#                     site settings (never overwritten), the OpenVINO runtime
#                     and the models (DESTDIR= and PREFIX= honoured)
#   make boot-bench   process start -> READY=1, cold and warm model cache
.PHONY: install boot-bench
PREFIX    ?= /usr/local
BOOT_RUNS ?= 5

install: build
	@test -d "$(SHARED)/models" || { echo "models not found at $(SHARED)/models: set SHARED=/path/to/shared" >&2; exit 1; }
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BIN="$(abspath $(BIN))" VENV="$(abspath $(VENV))" SHARED="$(SHARED)" \
	  bash scripts/install.sh

boot-bench: build
	$(PYTHON) scripts/boot-to-ready.py --bin $(BIN) --runs $(BOOT_RUNS) --models "$(SHARED)/models"
