# rfm: PGXS build.  `make && make install`, then `make installcheck` runs the
# pg_regress suite in a throwaway instance with rfm preloaded (see test/rfm.conf).

EXTENSION = rfm
EXTVERSION = 1.0
MODULE_big = rfm
PGFILEDESC = "rfm - member segmentation for retail inside PostgreSQL"

# One folder per concern; each folder's .sql sits beside its C.
OBJS = \
	src/rfm.o \
	src/purchases/purchases_type.o \
	src/purchases/purchases_agg.o \
	src/purchases/purchases_access.o \
	src/scoring/breaks.o \
	src/scoring/segment.o \
	src/lifecycle/lifecycle.o \
	src/model/progress.o

# The install script is these fragments, concatenated in this order.
SQL_PARTS = \
	src/rfm.sql \
	src/purchases/purchases.sql \
	src/scoring/scoring.sql \
	src/scoring/segment_maps.sql \
	src/scoring/labels.sql \
	src/scoring/scoring_end.sql \
	src/lifecycle/lifecycle.sql \
	src/model/model.sql

DATA_built = rfm--$(EXTVERSION).sql

REGRESS = install purchases_io purchases_agg purchases_access purchases_cdnow purchases_parallel \
	purchases_bad_input hardening classify classify_uci model
REGRESS_OPTS = --temp-config=$(srcdir)/test/rfm.conf --temp-instance=$(CURDIR)/tmp_check \
	--inputdir=$(srcdir)

ISOLATION = refresh
ISOLATION_OPTS = --temp-config=$(srcdir)/test/rfm.conf --temp-instance=$(CURDIR)/tmp_check_iso \
	--inputdir=$(srcdir)/test/isolation --outputdir=$(CURDIR)/output_iso

EXTRA_CLEAN = rfm--$(EXTVERSION).sql tmp_check tmp_check_iso output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Warnings are errors in CI only (CI=true); never overwrite CFLAGS.
ifeq ($(CI),true)
override CFLAGS += -Werror
endif

rfm--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@
