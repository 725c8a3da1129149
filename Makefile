# tekho quick start: `make run` (the main job) and `make test` (every test,
# in a normal and an ASan+UBSan build). Plain `make` builds the library and
# the tool (build/tekho) and runs nothing. Each target installs what it
# needs and a fresh Debian machine lacks (scripts/install-deps.sh GROUP:
# build for every target, report's optional plotting tools for make run,
# test and fuzz for theirs). The trees built here treat warnings as errors
# (TEKHO_WERROR=ON; `make run WERROR=OFF` if a newer compiler warns); a plain
# `cmake` build does not.

BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_RELEASE_GCC ?= build-release-gcc
BUILD_RELEASE_CLANG ?= build-release-clang
# make fuzz: seconds per target (the issue's long run is 300)
FUZZ_SECONDS ?= 300
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
WERROR ?= ON
# make install WIRESHARK_PLUGIN=1: also wireshark/tekho.lua (names tekho's
# private extensions) into Wireshark's personal Lua plugin folder
WIRESHARK_PLUGIN ?=
WIRESHARK_PLUGIN_DIR ?= $(HOME)/.local/lib/wireshark/plugins

.PHONY: all run demo test deps deps-build deps-report deps-test deps-fuzz build build-asan build-fuzz build-matrix \
	fuzz seeds bench install install-wireshark-plugin clean explore explore-found mutations
.DEFAULT_GOAL := all

# Plain `make`: the library, the tool and the man page in $(BUILD); no test runs.
all: build

# Every package any target needs; the groups, for the targets that need them.
deps:
	@sh scripts/install-deps.sh
deps-build:
	@sh scripts/install-deps.sh build
deps-report:
	@sh scripts/install-deps.sh report
deps-test:
	@sh scripts/install-deps.sh test
deps-fuzz:
	@sh scripts/install-deps.sh fuzz

build: deps-build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTEKHO_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps-build
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DTEKHO_SANITIZE=ON -DTEKHO_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j$(JOBS)

# The fuzz targets, one per decoder (clang, libFuzzer, ASan+UBSan).
build-fuzz: deps-fuzz
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTEKHO_FUZZ=ON -DTEKHO_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_FUZZ) -j$(JOBS)

# The library and the tool in Release (-O3) with gcc and with clang, warnings
# as errors: the optimiser finds warnings the other trees do not. With the
# trees above (gcc Debug, gcc and clang RelWithDebInfo) every build type is
# built with both compilers.
build-matrix: deps-fuzz
	CC=gcc cmake -S . -B $(BUILD_RELEASE_GCC) -DCMAKE_BUILD_TYPE=Release -DTEKHO_BUILD_TESTS=OFF -DTEKHO_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_RELEASE_GCC) -j$(JOBS)
	CC=clang cmake -S . -B $(BUILD_RELEASE_CLANG) -DCMAKE_BUILD_TYPE=Release -DTEKHO_BUILD_TESTS=OFF -DTEKHO_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_RELEASE_CLANG) -j$(JOBS)

# Every fuzz target for FUZZ_SECONDS each; new inputs go to $(BUILD_FUZZ)/found/TARGET.
fuzz: build-fuzz
	@for t in $$(ls fuzz/corpus); do echo "== fuzz_$$t"; \
	  fuzz/run_fuzz.sh $(BUILD_FUZZ)/fuzz/fuzz_$$t fuzz/corpus/$$t $(FUZZ_SECONDS) $(BUILD_FUZZ)/found/$$t || exit 1; done

# Rewrites the seed part of the committed corpora from the encoders.
seeds: build
	$(BUILD)/tests/make_seeds fuzz/corpus

# The main job: every scheme on the same 19-cell network, 300 moving MSs,
# three simulated minutes, 10 replications (tekho sim's default) on every
# core; the comparison table with 95 % intervals, and a report in $(REPORT).
# gnuplot and mscgen draw its plots and charts: installed as root, else the
# run warns and the report says what it could not draw.
REPORT ?= report
run: build deps-report
	$(BUILD)/tekho sim --topology hex:19 --ms 300 --duration 180 --report $(REPORT)

# The key tools on the profile's vendor vector, printed readably.
demo: build
	@sh scripts/demo.sh $(BUILD)/tekho

test: deps-test build build-asan build-fuzz build-matrix
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j$(JOBS)
	cd $(BUILD_FUZZ) && ctest --output-on-failure -j$(JOBS)
	JOBS=$(JOBS) sh tests/mutations.sh . $(BUILD_MUTATION) $(MUTATIONS)

# Mutation builds (src/mutation.h): each deliberate defect (TEKHO_MUTATIONS)
# must be caught by tekho explore within 300 runs of some scheme
# (`make mutations MUTATIONS="no-cmac-pn-check"` tries one).
BUILD_MUTATION ?= build-mutation
MUTATIONS ?=
mutations: deps-build
	JOBS=$(JOBS) sh tests/mutations.sh . $(BUILD_MUTATION) $(MUTATIONS)

# The explorer's long run (`make test` runs a short one): EXPLORE_RUNS runs
# per scheme, about 950 events each, violations shrunk and saved in
# $(EXPLORE_DIR) as case files for `tekho explore --replay`.
EXPLORE_RUNS ?= 20000
EXPLORE_SEED ?= 1
EXPLORE_DIR ?= $(BUILD)/explore-found
EXPLORE_FLAGS ?= --max-violations 5
explore: build
	@mkdir -p $(EXPLORE_DIR); status=0; \
	for s in none none-late counter baseline-early baseline-update baseline-challenge baseline-full reuse; do \
	  $(BUILD)/tekho explore --scheme $$s --seed $(EXPLORE_SEED) --runs $(EXPLORE_RUNS) --save $(EXPLORE_DIR) \
	    $(EXPLORE_FLAGS) || status=1; done; exit $$status

# Replays the committed open findings (each should still show its violation).
explore-found: build
	@for f in tests/explore-cases/found/*.case; do [ -e "$$f" ] || continue; $(BUILD)/tekho explore --replay $$f; done; true

bench: build
	$(BUILD)/tekho bench

install: build
	cmake --install $(BUILD)
	@if [ -n "$(WIRESHARK_PLUGIN)" ]; then $(MAKE) --no-print-directory install-wireshark-plugin; fi

install-wireshark-plugin:
	install -D -m 0644 wireshark/tekho.lua "$(WIRESHARK_PLUGIN_DIR)/tekho.lua"

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_RELEASE_GCC) $(BUILD_RELEASE_CLANG) $(BUILD_MUTATION)
