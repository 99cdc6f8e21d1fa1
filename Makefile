# rfm: PGXS build.  `make && make install`, then `make installcheck` runs the
# pg_regress suite in a throwaway instance with rfm preloaded (see test/rfm.conf).

EXTENSION = rfm
# The version being made, and the last one that shipped (src/upgrade/README.md: `make ship-version`)
EXTVERSION = 1.7
PREVVERSION = 1.6
MODULE_big = rfm
PGFILEDESC = "rfm - member segmentation for retail inside PostgreSQL"

# One folder per concern; each folder's .sql sits beside its C.
OBJS = \
	src/rfm.o \
	src/aggstate.o \
	src/purchases/purchases_type.o \
	src/purchases/purchases_agg.o \
	src/purchases/purchases_access.o \
	src/scoring/breaks.o \
	src/scoring/segment.o \
	src/lifecycle/lifecycle.o \
	src/tiers/tiers.o \
	src/intent/intent_type.o \
	src/intent/intent_agg.o \
	src/intent/intent_state.o \
	src/intent/intent_score.o \
	src/intent/dciu_calibrate.o \
	src/clv/clv_math.o \
	src/clv/clv_fit.o \
	src/clv/clv_predict.o \
	src/campaign/distributions.o \
	src/campaign/campaign_agg.o \
	src/campaign/campaign_compare.o \
	src/model/progress.o \
	src/scheduler/cron.o \
	src/scheduler/launcher.o \
	src/scheduler/job.o

# The install script is these fragments, concatenated in this order.
SQL_PARTS = \
	src/rfm.sql \
	src/purchases/purchases.sql \
	src/scoring/scoring.sql \
	src/scoring/segment_maps.sql \
	src/scoring/labels.sql \
	src/scoring/scoring_end.sql \
	src/lifecycle/lifecycle.sql \
	src/tiers/tiers.sql \
	src/intent/intent.sql \
	src/clv/clv.sql \
	src/model/model.sql \
	src/model/model_1_1.sql \
	src/model/model_1_2.sql \
	src/model/model_1_3.sql \
	src/model/model_1_4.sql \
	src/model/model_1_5.sql \
	src/model/model_1_6.sql \
	src/model/model_1_7.sql \
	src/scoring/breaks_state.sql \
	src/clv/clv_state.sql \
	src/intent/intent_state.sql \
	src/campaign/campaign_stats.sql \
	src/model/model_functions.sql \
	src/model/refresh.sql \
	src/model/refresh_states.sql \
	src/model/refresh_candidates.sql \
	src/model/refresh_cutpoints.sql \
	src/model/refresh_clv.sql \
	src/model/refresh_dciu.sql \
	src/model/refresh_labels.sql \
	src/model/refresh_flow.sql \
	src/model/refresh_write.sql \
	src/model/refresh_bi.sql \
	src/campaign/campaign.sql \
	src/scheduler/scheduler.sql \
	src/model/model_last.sql

# Update scripts (src/upgrade/README.md): those of the versions that shipped are frozen there; the update to
# the current version is its head, the catalog changes of the current version as they are (also part of a
# fresh install), and every function of the install script replaced.
UPDATE_SCRIPT = rfm--$(PREVVERSION)--$(EXTVERSION).sql
UPDATE_PARTS = \
	src/upgrade/rfm--$(PREVVERSION)--$(EXTVERSION).head.sql \
	src/model/model_$(subst .,_,$(EXTVERSION)).sql
# run last by a fresh install and, again, by every update (idempotent): row security, grants, model capture
LAST_PART = src/model/model_last.sql

DATA_built = rfm--$(EXTVERSION).sql $(UPDATE_SCRIPT)
# 1.0 is the one older version with an install script: PostgreSQL installs any later one that shipped
# (CREATE EXTENSION rfm VERSION '1.3') from it and the frozen update scripts.
DATA = src/upgrade/rfm--1.0.sql $(sort $(filter-out %.head.sql,$(wildcard src/upgrade/rfm--*--*.sql)))

REGRESS = install purchases_io purchases_agg purchases_access purchases_cdnow purchases_parallel \
	purchases_bad_input hardening classify classify_uci tier_timeline tier_cdnow intent_io intent_score intent_agg intent_data campaign_stats \
	clv_cdnow clv_parallel agg_states intent_state clv_bad_input clv_grocery model model_same_day model_tiers model_dciu model_clv campaign scheduler scheduler_launcher \
	privileges security upgrade
REGRESS_OPTS = --temp-config=$(srcdir)/test/rfm.conf --temp-instance=$(CURDIR)/tmp_check \
	--inputdir=$(srcdir)

ISOLATION = refresh
ISOLATION_OPTS = --temp-config=$(srcdir)/test/rfm.conf --temp-instance=$(CURDIR)/tmp_check_iso \
	--inputdir=$(srcdir)/test/isolation --outputdir=$(CURDIR)/output_iso

# TAP tests with a live server (the scheduler): make prove_installcheck
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

EXTRA_CLEAN = rfm--$(EXTVERSION).sql $(UPDATE_SCRIPT) tmp_check tmp_check_iso tmp_check_np output_iso output_np results \
	regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Warnings are errors in CI only (CI=true); never overwrite CFLAGS.  CI also
# checks that the library would load: every undefined symbol must be defined
# by the server or a library it loads (scripts/check_symbols.sh).
ifeq ($(CI),true)
override CFLAGS += -Werror
all: check-symbols
endif

.PHONY: check-symbols installcheck-nopreload ship-version
check-symbols: $(shlib)
	$(srcdir)/scripts/check_symbols.sh $(shlib) '$(bindir)/postgres'

# The pg_regress suite on an instance that does not preload rfm, as most
# servers run it: everything but the settings of the scheduler's launcher
# (scheduler_launcher), plus what only holds without preloading (nopreload).
REGRESS_PRELOAD_ONLY = scheduler_launcher
REGRESS_NOPRELOAD = $(filter-out $(REGRESS_PRELOAD_ONLY),$(REGRESS)) nopreload
installcheck-nopreload:
	$(pg_regress_installcheck) --temp-config=$(srcdir)/test/rfm_nopreload.conf \
		--temp-instance=$(CURDIR)/tmp_check_np --outputdir=$(CURDIR)/output_np $(REGRESS_NOPRELOAD)

rfm--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

# The update: its head, the version's catalog changes, then the replayable part of every other fragment of the
# install script (every function, its comment and its grants: scripts/replayable.awk), then the last part again.
$(UPDATE_SCRIPT): $(SQL_PARTS) $(UPDATE_PARTS) scripts/replayable.awk
	{ cat $(UPDATE_PARTS); \
	  awk -f scripts/replayable.awk $(filter-out $(UPDATE_PARTS) $(LAST_PART),$(SQL_PARTS)); \
	  cat $(LAST_PART); } > $@

# Ship the current version and start the next one: `make ship-version NEXT=1.7` freezes this version's update
# script in src/upgrade, starts the head and the catalog part of the next one, and moves the version numbers
# (Makefile, rfm.control, META.json, debian/changelog). src/upgrade/README.md.
ship-version: $(UPDATE_SCRIPT)
	$(srcdir)/scripts/ship_version.sh '$(PREVVERSION)' '$(EXTVERSION)' '$(NEXT)'
