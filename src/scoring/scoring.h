/*-------------------------------------------------------------------------
 *
 * scoring.h
 *	  RFM scores, segment maps and value segments.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_SCORING_H
#define RFM_SCORING_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

/* breaks.c */
extern void scoring_check_value(float8 value, const char *what);
extern int	scoring_get_breaks(ArrayType *arr, float8 **cuts);

#endif							/* RFM_SCORING_H */
