/*-------------------------------------------------------------------------
 *
 * pgstub.h
 *	  Just enough of the PostgreSQL backend to run rfm's parsers outside the
 *	  server, under libFuzzer and the sanitizers.
 *
 * The rfm sources are compiled unchanged against the server headers; this
 * stub supplies the few backend facilities they call:
 *
 *	  - memory: palloc and friends are malloc'ed chunks (so AddressSanitizer
 *		sees every overrun), each preceded by its context pointer as the
 *		backend lays them out; pgstub_reset() frees all of them after each
 *		input, like the reset of a per-call memory context.
 *	  - errors: ereport(ERROR) formats its message (so bad format arguments
 *		are caught too) and longjmps back to pgstub_call(), which reports the
 *		input as rejected.  Lower levels are ignored.
 *	  - the pq_getmsg and pq_send functions of libpq/pqformat.c, with their
 *		documented contract (reading past the end is an ERROR).
 *	  - date2j/j2date (proleptic Gregorian Julian days).
 *	  - AggCheckCallContext, which says yes.
 *
 * Backend functions that no fuzzed path may reach abort loudly (the fuzzer
 * reports a crash), see pgstub.c.  Where a stubbed function's signature
 * changed between PostgreSQL 15 and 18 the stub follows the headers it is
 * compiled against (PG_VERSION_NUM guards).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_PGSTUB_H
#define RFM_PGSTUB_H

#include "postgres.h"

#include "fmgr.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARSIZE and friends: split out of postgres.h in 16 */
#endif

/*
 * Call fn with up to two arguments in CurrentMemoryContext.  Returns true
 * and sets *result when it returns, false when it raised an ERROR (the
 * input is rejected).
 */
extern bool pgstub_call(PGFunction fn, int nargs, Datum arg0, Datum arg1, Datum *result);

/* The SQLSTATE and message of the last ERROR raised. */
extern int	pgstub_last_sqlstate(void);
extern const char *pgstub_last_message(void);

/* Free everything allocated since the last reset. */
extern void pgstub_reset(void);

/* A copy of len bytes as a bytea (4-byte header) at an 8-byte boundary + offset. */
extern bytea *pgstub_bytea(const void *data, size_t len, int offset);

/* An invariant of accepted input is broken: print why and abort (a finding). */
#define PGSTUB_CHECK(cond) \
	do { \
		if (!(cond)) \
			pgstub_fail(__FILE__, __LINE__, #cond); \
	} while (0)
/* (noreturn spelled out: PostgreSQL 18 replaced pg_attribute_noreturn by a prefix, pg_noreturn) */
extern void pgstub_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif							/* RFM_PGSTUB_H */
