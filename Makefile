# Okienko - static portal generator (bin/portal) and form daemon (bin/formd).
#
#   make            build bin/portal and bin/formd
#   make run        install what is missing, build, generate the demo portal, serve it
#                   (on http://127.0.0.1:8080; another port: PORT=8090 make run)
#   make test       install test needs, build, run every test
#   make SANITIZE=1 test   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      generator vs Hugo on a 10,000-page corpus (../shared/bench)

CC      ?= cc
# Each program and common/ get their own dependencies' flags: common/ is
# compiled without libgit2's or cmark's (tests/integration/layering.sh
# checks which file includes which library).
COMMON_PKGS := jansson
GEN_PKGS    := libcmark libgit2 zlib
FORMD_PKGS  := libmicrohttpd sqlite3 libsodium libcurl libqrencode
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Wpedantic -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -pthread
CFLAGS  += -MMD -MP -Icommon
LDLIBS  += -pthread

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
OBJ     := build/obj-san
else
OBJ     := build/obj
endif

COMMON_CFLAGS = $(shell pkg-config --cflags $(COMMON_PKGS) 2>/dev/null)
COMMON_LIBS   = $(shell pkg-config --libs $(COMMON_PKGS) 2>/dev/null)
GEN_CFLAGS    = -Igenerator $(shell pkg-config --cflags $(GEN_PKGS) 2>/dev/null)
GEN_LIBS      = $(shell pkg-config --libs $(GEN_PKGS) 2>/dev/null)
FORMD_CFLAGS  = -Iformd $(shell pkg-config --cflags $(FORMD_PKGS) 2>/dev/null)
FORMD_LIBS    = $(shell pkg-config --libs $(FORMD_PKGS) 2>/dev/null)
# tests and fuzz harnesses link everything
PKG_CFLAGS = $(GEN_CFLAGS) $(FORMD_CFLAGS) $(COMMON_CFLAGS)
PKG_LIBS   = $(GEN_LIBS) $(FORMD_LIBS) $(COMMON_LIBS)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

COMMON_SRC := $(wildcard common/*.c)
GEN_SRC    := $(filter-out generator/main.c,$(wildcard generator/*.c))
FORMD_SRC  := $(filter-out formd/main.c,$(wildcard formd/*.c))
TEST_SRC   := $(wildcard tests/unit/test_*.c)
TEST_HELP  := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(OBJ)/%.o)
GEN_OBJ    := $(GEN_SRC:%.c=$(OBJ)/%.o)
FORMD_OBJ  := $(FORMD_SRC:%.c=$(OBJ)/%.o)
HELP_OBJ   := $(TEST_HELP:%.c=$(OBJ)/%.o)
TEST_BIN   := $(TEST_SRC:tests/unit/%.c=$(OBJ)/tests/%)

.PHONY: all deps deps-test run test unit check-format format bench bench-formd clean FORCE

all: bin/portal bin/formd

deps:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

# every compile needs the -dev packages: deps runs first (order-only, so it
# never forces a rebuild; it only checks, and installs what is missing)
$(OBJ)/common/%.o: common/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(COMMON_CFLAGS) -c $< -o $@

$(OBJ)/generator/%.o: generator/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(GEN_CFLAGS) -c $< -o $@

$(OBJ)/formd/%.o: formd/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FORMD_CFLAGS) $(COMMON_CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(OBJ)/libcommon.a: $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OBJ)/libgen.a: $(GEN_OBJ)
	@rm -f $@
	ar rcs $@ $^ $(if $(GEN_OBJ),,$(OBJ)/common/err.o)

$(OBJ)/libformd.a: $(FORMD_OBJ)
	@rm -f $@
	ar rcs $@ $^ $(if $(FORMD_OBJ),,$(OBJ)/common/err.o)

# Relinked on every make so that switching SANITIZE never leaves a stale binary.
bin/portal: $(OBJ)/generator/main.o $(OBJ)/libgen.a $(OBJ)/libcommon.a FORCE
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(OBJ)/generator/main.o $(OBJ)/libgen.a $(OBJ)/libcommon.a $(GEN_LIBS) $(COMMON_LIBS) $(LDLIBS)

# formd links common/ and nothing of the generator
bin/formd: $(OBJ)/formd/main.o $(OBJ)/libformd.a $(OBJ)/libcommon.a FORCE
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(OBJ)/formd/main.o $(OBJ)/libformd.a $(OBJ)/libcommon.a $(FORMD_LIBS) $(COMMON_LIBS) $(LDLIBS)

$(OBJ)/tests/%: tests/unit/%.c $(HELP_OBJ) $(OBJ)/libgen.a $(OBJ)/libformd.a $(OBJ)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(HELP_OBJ) $(OBJ)/libgen.a $(OBJ)/libformd.a $(OBJ)/libcommon.a $(PKG_LIBS) $(CMOCKA_LIBS) -lm $(LDLIBS)

# fuzz harnesses, run without libFuzzer by tests/fuzz/driver.c (make test)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(OBJ)/fuzz/%)

$(OBJ)/fuzz/%: tests/fuzz/%.c tests/fuzz/driver.c $(OBJ)/libgen.a $(OBJ)/libformd.a $(OBJ)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/driver.c $(OBJ)/libgen.a $(OBJ)/libformd.a $(OBJ)/libcommon.a $(PKG_LIBS) -lm $(LDLIBS)

unit: $(TEST_BIN)

test: deps-test bin/portal bin/formd $(TEST_BIN) $(FUZZ_BIN)
	@OBJ=$(OBJ) sh tests/run.sh

# run.sh starts bin/formd, which serves what bin/portal built
run: deps bin/portal bin/formd
	@sh scripts/run.sh

bench: deps bin/portal
	@sh scripts/bench.sh

bench-formd: deps bin/portal bin/formd
	@sh scripts/bench-formd.sh

check-format:
	@clang-format --dry-run --Werror common/*.[ch] generator/*.[ch] formd/*.[ch] tests/unit/*.[ch]

format:
	clang-format -i common/*.[ch] generator/*.[ch] formd/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf build bin

FORCE:

.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
