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
#include "lib/stringinfo.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARSIZE, SET_VARSIZE ...: split out of postgres.h in 16 */
#endif

/* rfm.c */
extern MemoryContext rfm_agg_context(FunctionCallInfo fcinfo, const char *fname);
extern bool rfm_parse_digits(const char **s, int n, int *result);
extern bool rfm_parse_date(const char **s, int32 *day);
extern bool rfm_bytes_equal(const struct varlena *a, const struct varlena *b);
extern Datum rfm_bytes_hash(const struct varlena *v);

/*
 * aggstate.c: aggregate states of real types, expanded objects while they
 * grow.  A family of aggregates describes its C state with an RfmStateKind.
 */
typedef struct RfmStateKind
{
	const char *type;			/* SQL name of the state type, for messages */
	const char *tag;			/* text form: tag ':' hex of the flat bytes */
	/* the flat value (in CurrentMemoryContext) of a C state */
	struct varlena *(*flatten) (void *state);
	/* a new C state in cxt read from a flat value, validated (ERROR if invalid) */
	void	   *(*read) (MemoryContext cxt, struct varlena *flat);
	/* add the C state b to a (the combine function) */
	void		(*merge) (void *a, void *b);
} RfmStateKind;

typedef struct RfmExpandedState RfmExpandedState;

extern RfmExpandedState *rfm_state_create(MemoryContext aggcontext, const RfmStateKind *kind);
extern MemoryContext rfm_state_context(RfmExpandedState *es);
extern void *rfm_state_get(RfmExpandedState *es);
extern void rfm_state_set(RfmExpandedState *es, void *state);
extern Datum rfm_state_datum(RfmExpandedState *es);
extern RfmExpandedState *rfm_state_writable(Datum d, MemoryContext aggcontext, const RfmStateKind *kind);
extern void *rfm_state_readable(Datum d, const RfmStateKind *kind);
extern Datum rfm_state_combine(FunctionCallInfo fcinfo, MemoryContext aggcontext, const RfmStateKind *kind);
extern Datum rfm_state_in(const char *str, const RfmStateKind *kind);
extern char *rfm_state_out(Datum d, const RfmStateKind *kind);
extern Datum rfm_state_recv(StringInfo buf, const RfmStateKind *kind);
extern bytea *rfm_state_send(Datum d, const RfmStateKind *kind);

#endif							/* RFM_H */
