/*-------------------------------------------------------------------------
 *
 * intent_score.h
 *	  The intent score and DCIU buckets, shared by intent_score.c and
 *	  dciu_calibrate.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_INTENT_SCORE_H
#define RFM_INTENT_SCORE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/array.h"

#include "intent.h"

/* weights of the kinds before purchase: view .. checkout */
#define INTENT_NWEIGHTS		6

typedef struct IntentParams
{
	float8		half_life;		/* seconds */
	float8		horizon;		/* seconds */
	float8		weight[INTENT_NWEIGHTS];
} IntentParams;

/* A score and what went into it. */
typedef struct IntentScore
{
	float8		score;
	float8		contrib[INTENT_NWEIGHTS];	/* weighted, decayed, per kind */
	int64		events[INTENT_NWEIGHTS];	/* events counted per kind */
	bool		has_purchase;
	int32		last_purchase;	/* hour of the last purchase, if any */
} IntentScore;

/* intent_score.c */
extern const float8 intent_default_weights[INTENT_NWEIGHTS];
extern const char *const dciu_labels[4];
extern void dciu_get_cuts(ArrayType *arr, float8 cuts[3]);
extern int	dciu_bucket_of(float8 score, const float8 cuts[3]);
extern void intent_get_params(FunctionCallInfo fcinfo, int half_life_arg, int weights_arg,
							  IntentParams *prm);
extern void intent_compute(const Intent *p, TimestampTz as_of, const IntentParams *prm,
						   IntentScore *r);
extern Datum dciu_enum_datum(FunctionCallInfo fcinfo, Oid typid, int i);

#endif							/* RFM_INTENT_SCORE_H */
