/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  Module entry point of the rfm extension.
 *
 * Every SQL function of rfm works without preloading; only the scheduler
 * (added later) needs shared_preload_libraries = 'rfm'.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#if PG_VERSION_NUM < 150000
#error "rfm requires PostgreSQL 15 or later"
#endif

PG_MODULE_MAGIC;
