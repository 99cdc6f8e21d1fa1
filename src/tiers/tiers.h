/*-------------------------------------------------------------------------
 *
 * tiers.h
 *	  Tier ladders (rows of rfm.tier_rule) and their replay over a purchase
 *	  history.
 *
 * A policy is a ladder of tiers ordered by rank.  rfm.tier and
 * rfm.tier_status replay the history day by day from the first purchase
 * to as_of, so any past day can be evaluated and nothing is stored.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_TIERS_H
#define RFM_TIERS_H

#include "postgres.h"

#include "fmgr.h"

#include "../purchases/purchases.h"

/* A span of whole months and days (rfm.tier_rule's intervals). */
typedef struct TierSpan
{
	int32		months;
	int32		days;
} TierSpan;

/* One tier of a ladder. */
typedef struct TierStep
{
	char	   *name;
	int32		rank;
	float8		min_spend;
	int64		min_spend_units;	/* min_spend in units of rfm.purchases,
									 * rounded up (and clamped to the range) */
	int32		min_orders;		/* -1: no order criterion */
} TierStep;

/* A validated ladder, cached per call site. */
typedef struct TierLadder
{
	char	   *policy;
	int			ntiers;
	TierStep   *tiers;			/* by rank; tiers[0] is the entry tier */
	TierSpan	window;			/* spend_window */
	TierSpan	review;			/* review_every */
	bool		calendar;		/* review_anchor = 'calendar' */
	TierSpan	grace;			/* grace, 0 = none */
	bool		one_step_down;
	char	   *summary;		/* what rfm.tier_check returns */
} TierLadder;

/* The outcome of a replay up to as_of. */
typedef struct TierResult
{
	int			tier;			/* index into ladder->tiers */
	int32		since;			/* day the member entered it */
	int32		next_review;	/* next review (or end of grace) after as_of */
	int64		qualifying_units;	/* net spend in the window ending as_of */
	float8		qualifying_spend;	/* the same as rfm.monetary returns it */
	float8		spend_to_keep;	/* spend still needed by next_review */
} TierResult;

/* tiers.c */
extern TierLadder *tier_ladder_get(FunctionCallInfo fcinfo, text *policy);
extern bool tier_replay(const TierLadder *ladder, const Purchases *p, DateADT as_of,
						TierResult *result);

#endif							/* RFM_TIERS_H */
