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

/* rfm.c */
extern MemoryContext rfm_agg_context(FunctionCallInfo fcinfo, const char *fname);

#endif							/* RFM_H */
