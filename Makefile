# sms_api: PGXS build, tests, demo and benchmarks.
#
#   make demo          set everything up and send a message through the simulator
#   make test          run the whole test suite (ends with "N passed, M failed")
#   make installcheck  the pg_regress suites against the installed server
#   make dist          sms_api-$(EXTVERSION).zip, the archive PGXN takes
#   make coverage      the regress and driver suites on a gcov build: line and
#                      branch coverage per file of src/

# The one place the version is written: it reaches sms_api.control (made
# from sms_api.control.in), the fresh-install script's name, the C code
# (SMS_API_VERSION), and test/meta_check.py holds META.json to it. After
# changing it, `make clean`: PGXS does not know the objects depend on it.
EXTVERSION = 0.2.0

MODULE_big = sms_api
EXTENSION = sms_api
# 0.1.0 is frozen; a fresh install runs the same statements as an update
# from 0.1.0 (see sql/schema.sql).
DATA = sql/sms_api--0.1.0.sql sql/sms_api--0.1.0--0.2.0.sql sms_api--0.1.0.control
DATA_built = sql/sms_api--$(EXTVERSION).sql
EXTRA_CLEAN = sms_api.control
# A provider is one folder under src/providers; src/core and src/http know
# none of them (src/providers/registry.c lists them).
CORE_OBJS = $(patsubst %.c,%.o,$(wildcard src/core/*.c src/http/*.c))
PROVIDER_OBJS = $(patsubst %.c,%.o,$(wildcard src/providers/*.c src/providers/*/*.c))
OBJS = $(CORE_OBJS) $(PROVIDER_OBJS)
# PGXS tracks no header dependencies; a stale object built against an
# older struct layout corrupts shared memory, so every header rebuilds all.
HEADERS = $(wildcard src/core/*.h src/http/*.h src/providers/*.h src/providers/*/*.h)

PG_CONFIG ?= pg_config
SHLIB_LINK = -lcurl -ljson-c
PG_CPPFLAGS = -I$(srcdir)/src -DSMS_API_VERSION='"$(EXTVERSION)"'
# Our code builds with -Wall -Wextra -Werror; every V1 function's unused
# fcinfo is the only warning PostgreSQL's own headers force us to silence.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

# Before `make deps` has installed postgresql-server-dev-15 there is no
# pg_config; deps, test and demo still work, and install it first.
# make installcheck: PGXS's rule runs the suites of test/schedule, in its
# order, in database regression (the one the worker serves, so pg_regress
# must not drop it); test/installcheck.py wraps PGXS's pg_regress command
# to start the simulator and a throwaway cluster of the installed
# PostgreSQL, configured for it, which the suites need.
REGRESS = $(shell sed -n 's/^test: *//p' $(srcdir)/test/schedule)
REGRESS_OPTS = --use-existing

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
CONTRIB_TESTDB = regression
pg_regress_installcheck = python3 $(srcdir)/test/installcheck.py \
	$(top_builddir)/src/test/regress/pg_regress --inputdir=$(srcdir) \
	--bindir='$(bindir)' $(pg_regress_locale_flags) $(EXTRA_REGRESS_OPTS)
all: sms_api.control
$(OBJS) $(OBJS:.o=.bc): $(HEADERS)
else
all install:
	@echo "pg_config not found: run 'make deps' (postgresql-server-dev-15) first" >&2; exit 1
endif

.PHONY: deps test demo bench dist coverage

sms_api.control: sms_api.control.in Makefile
	sed 's/@EXTVERSION@/$(EXTVERSION)/' $< > $@

sql/sms_api--$(EXTVERSION).sql: sql/schema.sql sql/sms_api--0.1.0.sql sql/sms_api--0.1.0--0.2.0.sql
	( cat sql/schema.sql; \
	  grep -v '^\\echo ' sql/sms_api--0.1.0.sql; \
	  grep -v '^\\echo ' sql/sms_api--0.1.0--0.2.0.sql ) > $@

# Debian packages the build, tests and demo need (installed when missing).
deps:
	@test/deps.sh

test: deps
	$(MAKE) all
	$(MAKE) install
	python3 test/run.py

# What PGXN takes: the committed tree (HEAD) in a zip, under one directory
# named for the release.
dist:
	git archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD

# A copy of the tree built with --coverage, run through test/private_pg.sh
# (never make install); see README, Tests.
coverage: deps
	test/coverage.sh

demo: deps
	$(MAKE) all
	$(MAKE) install
	python3 test/demo.py

# Benchmarks, on demand only (never part of make test): builds, installs and
# measures everything in one run; see bench/README.md.
bench:
	python3 bench/run.py
