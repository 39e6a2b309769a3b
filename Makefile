# The short verbs. Meson does the building; this file only names the steps.
#   make         install what is missing (Debian packages, the dashboard's npm
#                packages), build build/rig/rig
#   make check   also build under ASan/UBSan (clang) and run every test
#   make demo    run the demo
BUILD := build
TEST_BUILD := build-test
MESON_TEST_ARGS ?=

.PHONY: all deps check demo clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps.sh
	@scripts/dashboard-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(TEST_BUILD)/build.ninja:
	CC=clang meson setup $(TEST_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dfuzz=true

check: all $(TEST_BUILD)/build.ninja
	ninja -C $(TEST_BUILD)
	meson test -C $(TEST_BUILD) --print-errorlogs $(MESON_TEST_ARGS)

demo: all
	$(BUILD)/rig/rig demo

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
