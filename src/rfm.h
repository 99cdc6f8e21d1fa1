/*-------------------------------------------------------------------------
 *
 * rfm.h
 *	  Helpers shared by the folders of rfm.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_H
#define RFM_H

#include "postgres.h"

#include "fmgr.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARSIZE, SET_VARSIZE ...: split out of postgres.h in 16 */
#endif

/* rfm.c */
extern MemoryContext rfm_agg_context(FunctionCallInfo fcinfo, const char *fname);
extern bool rfm_parse_digits(const char **s, int n, int *result);
extern bool rfm_parse_date(const char **s, int32 *day);
extern bool rfm_bytes_equal(const struct varlena *a, const struct varlena *b);
extern Datum rfm_bytes_hash(const struct varlena *v);

#endif							/* RFM_H */
