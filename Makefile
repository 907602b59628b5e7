# sms_api: PGXS build, tests, demo and benchmarks.
#
#   make demo     set everything up and send a message through the simulator
#   make test     run the whole test suite (ends with "N passed, M failed")

MODULE_big = sms_api
EXTENSION = sms_api
# 0.1.0 is frozen; a fresh 0.2.0 install runs the same statements as an
# update from 0.1.0 (see sql/schema.sql).
DATA = sql/sms_api--0.1.0.sql sql/sms_api--0.1.0--0.2.0.sql sms_api--0.1.0.control
DATA_built = sql/sms_api--0.2.0.sql
# A provider is one folder under src/providers; src/core and src/http know
# none of them (src/providers/registry.c lists them).
CORE_OBJS = $(patsubst %.c,%.o,$(wildcard src/core/*.c src/http/*.c))
PROVIDER_OBJS = $(patsubst %.c,%.o,$(wildcard src/providers/*.c src/providers/*/*.c))
OBJS = $(CORE_OBJS) $(PROVIDER_OBJS)

PG_CONFIG ?= pg_config
SHLIB_LINK = -lcurl -ljson-c
PG_CPPFLAGS = -I$(srcdir)/src
# Our code builds with -Wall -Wextra -Werror; every V1 function's unused
# fcinfo is the only warning PostgreSQL's own headers force us to silence.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

# Before `make deps` has installed postgresql-server-dev-15 there is no
# pg_config; deps, test and demo still work, and install it first.
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
else
all install:
	@echo "pg_config not found: run 'make deps' (postgresql-server-dev-15) first" >&2; exit 1
endif

.PHONY: deps test demo bench

sql/sms_api--0.2.0.sql: sql/schema.sql sql/sms_api--0.1.0.sql sql/sms_api--0.1.0--0.2.0.sql
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

demo: deps
	$(MAKE) all
	$(MAKE) install
	python3 test/demo.py

# Benchmarks, on demand only (never part of make test): builds, installs and
# measures everything in one run; see bench/README.md.
bench:
	python3 bench/run.py
