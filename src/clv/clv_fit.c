/*-------------------------------------------------------------------------
 *
 * clv_fit.c
 *	  The fitting aggregates rfm.bgnbd_fit, rfm.pnbd_fit and
 *	  rfm.gamma_gamma_fit.
 *
 * The likelihoods depend on a member only through (x, t_x, t) (Gamma-Gamma:
 * (x, monetary)), so the transition function collapses members into the
 * distinct summaries with a count each, in a hash table in the aggregate
 * context.  Millions of members usually make far fewer cells, and the
 * final function's maximum likelihood fit works on the cells.  The state
 * combines (cell counts add up).  Its type is rfm.clv_state, an expanded
 * object while an aggregate grows it (src/aggstate.c), flat bytes where it
 * is shipped: the aggregates run in parallel and Citus splits them into
 * partial aggregates on the workers and a combine on the coordinator.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/hsearch.h"

#include "../rfm.h"
#include "clv.h"

PG_FUNCTION_INFO_V1(rfm_clv_btyd_trans);
PG_FUNCTION_INFO_V1(rfm_clv_gg_trans);
PG_FUNCTION_INFO_V1(rfm_clv_combine);
PG_FUNCTION_INFO_V1(rfm_clv_serialize);
PG_FUNCTION_INFO_V1(rfm_clv_deserialize);
PG_FUNCTION_INFO_V1(rfm_clv_state_btyd_trans);
PG_FUNCTION_INFO_V1(rfm_clv_state_gg_trans);
PG_FUNCTION_INFO_V1(rfm_clv_state_combine);
PG_FUNCTION_INFO_V1(rfm_clv_state_in);
PG_FUNCTION_INFO_V1(rfm_clv_state_out);
PG_FUNCTION_INFO_V1(rfm_clv_state_recv);
PG_FUNCTION_INFO_V1(rfm_clv_state_send);
PG_FUNCTION_INFO_V1(rfm_bgnbd_final);
PG_FUNCTION_INFO_V1(rfm_pnbd_final);
PG_FUNCTION_INFO_V1(rfm_gamma_gamma_final);

/* first word of a flat rfm.clv_state */
#define CLV_STATE_VERSION 1

/* cells of the state: BG/NBD and Pareto/NBD share them (kind CLV_BGNBD) */
typedef struct ClvKey
{
	float8		x;
	float8		u;
	float8		t;
} ClvKey;

typedef struct ClvEntry
{
	ClvKey		key;
	float8		w;
} ClvEntry;

typedef struct ClvState
{
	int32		kind;			/* CLV_BGNBD (x, t_x, t) or CLV_GG (x, m) */
	int64		members;		/* rows in the cells */
	int64		nulls;			/* rows skipped for a NULL argument */
	int64		zeros;			/* Gamma-Gamma: rows skipped for x = 0 */
	HTAB	   *cells;
} ClvState;

static ClvState *
clv_state_create(MemoryContext cxt, int32 kind)
{
	ClvState   *s = MemoryContextAllocZero(cxt, sizeof(ClvState));
	HASHCTL		ctl;

	s->kind = kind;
	ctl.keysize = sizeof(ClvKey);
	ctl.entrysize = sizeof(ClvEntry);
	ctl.hcxt = cxt;
	s->cells = hash_create("rfm clv cells", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return s;
}

static void
clv_state_add(ClvState *s, float8 x, float8 u, float8 t, float8 w)
{
	ClvKey		key;
	ClvEntry   *e;
	bool		found;

	memset(&key, 0, sizeof(key));
	/* + 0.0 turns -0 into 0, so equal values share one cell */
	key.x = x + 0.0;
	key.u = u + 0.0;
	key.t = t + 0.0;
	e = hash_search(s->cells, &key, HASH_ENTER, &found);
	if (!found)
		e->w = 0;
	e->w += w;
	s->members += (int64) w;
}

static const char *
nonfinite_name(float8 v)
{
	return isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
}

static void
check_finite(float8 v, const char *what)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite, not %s", what, nonfinite_name(v)),
				 errhint("Filter out or repair non-finite values; rfm.btyd computes x, t_x and t from purchases.")));
}

/*
 * A repeat-buying summary must be x a whole number >= 0, 0 <= t_x <= t, and
 * t_x = 0 when x = 0 (no repeat purchase, no recency).  Shared by the
 * aggregates and the prediction functions.
 */
void
clv_check_summary(float8 x, float8 t_x, float8 t)
{
	check_finite(x, "x");
	check_finite(t_x, "t_x");
	check_finite(t, "t");
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must be a whole number >= 0, not %g", x),
				 errhint("x is the number of repeat purchases (purchase days after the first).")));
	if (t_x < 0 || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x and t must be >= 0, not t_x = %g, t = %g", t_x, t),
				 errhint("Both are times since the member's first purchase.")));
	if (t_x > t)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x (%g) must not exceed t (%g)", t_x, t),
				 errhint("The last purchase cannot come after the end of calibration.")));
	if (x == 0 && t_x != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_x must be 0 when x is 0, not %g", t_x),
				 errhint("With no repeat purchase the recency t_x is 0 by convention.")));
}

/* x > 0 for Gamma-Gamma needs a positive finite mean spend */
void
clv_check_spend(float8 x, float8 m)
{
	check_finite(x, "x");
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x must be a whole number >= 0, not %g", x),
				 errhint("x is the number of repeat purchases (purchase days after the first).")));
	if (x > 0)
	{
		check_finite(m, "monetary");
		if (!(m > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("monetary must be > 0 when x > 0, not %g", m),
					 errhint("Gamma-Gamma models positive mean spends; leave out members whose repeat purchases net to zero or less.")));
	}
}

/*
 * The flat value of a state (its binary form, in hex its text form, what
 * parallel workers and Citus ship): int32 version, int32 kind, int64 nulls,
 * int64 zeros, int64 cells, then per cell float8 x, u, t, w (network order).
 */
static struct varlena *
clv_flatten(void *state)
{
	ClvState   *s = (ClvState *) state;
	StringInfoData buf;
	HASH_SEQ_STATUS seq;
	ClvEntry   *e;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, CLV_STATE_VERSION);
	pq_sendint32(&buf, s->kind);
	pq_sendint64(&buf, s->nulls);
	pq_sendint64(&buf, s->zeros);
	pq_sendint64(&buf, hash_get_num_entries(s->cells));
	hash_seq_init(&seq, s->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		pq_sendfloat8(&buf, e->key.x);
		pq_sendfloat8(&buf, e->key.u);
		pq_sendfloat8(&buf, e->key.t);
		pq_sendfloat8(&buf, e->w);
	}
	return (struct varlena *) pq_endtypsend(&buf);
}

static void
bad_state(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid rfm.clv_state: %s", what),
			 errhint("A state comes from a lifetime value fit (rfm.clv_state_out or _send); it is not typed in.")));
}

/* Read a flat state into cxt; every value is checked as the transition functions check rows. */
static void *
clv_read(MemoryContext cxt, struct varlena *flat)
{
	StringInfoData buf;
	int32		kind;
	int64		nulls,
				zeros,
				n;
	ClvState   *s;

	buf.data = VARDATA_ANY(flat);
	buf.len = VARSIZE_ANY_EXHDR(flat);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 32)
		bad_state("too short");
	if (pq_getmsgint(&buf, 4) != CLV_STATE_VERSION)
		bad_state("unknown version");
	kind = pq_getmsgint(&buf, 4);
	if (kind != CLV_BGNBD && kind != CLV_GG)
		bad_state("unknown kind");
	nulls = pq_getmsgint64(&buf);
	zeros = pq_getmsgint64(&buf);
	n = pq_getmsgint64(&buf);
	if (nulls < 0 || zeros < 0 || n < 0 || n != (buf.len - buf.cursor) / 32 ||
		(buf.len - buf.cursor) % 32 != 0)
		bad_state("counts do not match the length");
	s = clv_state_create(cxt, kind);
	s->nulls = nulls;
	s->zeros = zeros;
	for (int64 i = 0; i < n; i++)
	{
		float8		x = pq_getmsgfloat8(&buf);
		float8		u = pq_getmsgfloat8(&buf);
		float8		t = pq_getmsgfloat8(&buf);
		float8		w = pq_getmsgfloat8(&buf);

		if (!(w >= 1 && w <= 1e15 && w == floor(w)))
			bad_state("a cell count is not a positive whole number");
		if (kind == CLV_GG)
		{
			if (x == 0 || t != 0)
				bad_state("a Gamma-Gamma cell has x = 0 or t <> 0");
			clv_check_spend(x, u);
		}
		else
			clv_check_summary(x, u, t);
		clv_state_add(s, x, u, t, w);
	}
	pq_getmsgend(&buf);
	return s;
}

static void clv_merge(void *a, void *b);

static const RfmStateKind clv_kind = {
	"rfm.clv_state", "clv", clv_flatten, clv_read, clv_merge
};

/*
 * The state of a transition (argument 0) to update in place: a new one of
 * this kind when it is NULL.
 */
static ClvState *
trans_state(FunctionCallInfo fcinfo, int32 kind, const char *fname, RfmExpandedState **es)
{
	MemoryContext aggcontext = rfm_agg_context(fcinfo, fname);
	ClvState   *s;

	if (PG_ARGISNULL(0))
	{
		*es = rfm_state_create(aggcontext, &clv_kind);
		s = clv_state_create(rfm_state_context(*es), kind);
		rfm_state_set(*es, s);
		return s;
	}
	*es = rfm_state_writable(PG_GETARG_DATUM(0), aggcontext, &clv_kind);
	s = (ClvState *) rfm_state_get(*es);
	if (s->kind != kind)
		elog(ERROR, "%s: a lifetime value fit state of another kind (%d)", fname, s->kind);
	return s;
}

/* Count the row (x, t_x, t) of a BG/NBD or Pareto/NBD transition in s. */
static void
btyd_add_row(FunctionCallInfo fcinfo, ClvState *s)
{
	float8		x,
				t_x,
				t;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		s->nulls++;
		return;
	}
	x = PG_GETARG_FLOAT8(1);
	t_x = PG_GETARG_FLOAT8(2);
	t = PG_GETARG_FLOAT8(3);
	clv_check_summary(x, t_x, t);
	clv_state_add(s, x, t_x, t, 1);
}

/* Count the row (x, monetary) of a Gamma-Gamma transition in s; x = 0 rows skipped. */
static void
gg_add_row(FunctionCallInfo fcinfo, ClvState *s)
{
	float8		x,
				m;

	if (PG_ARGISNULL(1))
		s->nulls++;
	else if ((x = PG_GETARG_FLOAT8(1)) == 0)
		s->zeros++;
	else if (PG_ARGISNULL(2))
		s->nulls++;
	else
	{
		m = PG_GETARG_FLOAT8(2);
		clv_check_spend(x, m);
		clv_state_add(s, x, m, 0, 1);
	}
}

/* Add the cell counts of the state b to the state a. */
static void
clv_merge(void *state_a, void *state_b)
{
	ClvState   *a = (ClvState *) state_a;
	ClvState   *b = (ClvState *) state_b;
	HASH_SEQ_STATUS seq;
	ClvEntry   *e;

	if (a->kind != b->kind)
		elog(ERROR, "rfm lifetime value fit states of different kinds (%d, %d)", a->kind, b->kind);
	a->nulls += b->nulls;
	a->zeros += b->zeros;
	hash_seq_init(&seq, b->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
		clv_state_add(a, e->key.x, e->key.u, e->key.t, e->w);
}

/* rfm.bgnbd_fit / rfm.pnbd_fit transition: (state, x, t_x, t), the state updated in place */
Datum
rfm_clv_state_btyd_trans(PG_FUNCTION_ARGS)
{
	RfmExpandedState *es;

	btyd_add_row(fcinfo, trans_state(fcinfo, CLV_BGNBD, "rfm.bgnbd_fit support function", &es));
	PG_RETURN_DATUM(rfm_state_datum(es));
}

/* rfm.gamma_gamma_fit transition: (state, x, monetary), the state updated in place */
Datum
rfm_clv_state_gg_trans(PG_FUNCTION_ARGS)
{
	RfmExpandedState *es;

	gg_add_row(fcinfo, trans_state(fcinfo, CLV_GG, "rfm.gamma_gamma_fit support function", &es));
	PG_RETURN_DATUM(rfm_state_datum(es));
}

/* Combine: the cell counts of the right state added to the left one's. */
Datum
rfm_clv_state_combine(PG_FUNCTION_ARGS)
{
	return rfm_state_combine(fcinfo, rfm_agg_context(fcinfo, "rfm lifetime value fit support function"), &clv_kind);
}

/*
 * The support functions of the fits with an internal state, which the
 * catalog of rfm 1.6 and older still calls until ALTER EXTENSION rfm UPDATE
 * (and the scripts of those versions name): the same work on a ClvState the
 * executor keeps; serialized, it is the flat rfm.clv_state.
 */
Datum
rfm_clv_btyd_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm.bgnbd_fit support function");
	ClvState   *s = PG_ARGISNULL(0) ? clv_state_create(cxt, CLV_BGNBD) : (ClvState *) PG_GETARG_POINTER(0);

	btyd_add_row(fcinfo, s);
	PG_RETURN_POINTER(s);
}

Datum
rfm_clv_gg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm.gamma_gamma_fit support function");
	ClvState   *s = PG_ARGISNULL(0) ? clv_state_create(cxt, CLV_GG) : (ClvState *) PG_GETARG_POINTER(0);

	gg_add_row(fcinfo, s);
	PG_RETURN_POINTER(s);
}

Datum
rfm_clv_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm lifetime value fit support function");
	ClvState   *a = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvState   *b = PG_ARGISNULL(1) ? NULL : (ClvState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = clv_state_create(cxt, b->kind);
	clv_merge(a, b);
	PG_RETURN_POINTER(a);
}

Datum
rfm_clv_serialize(PG_FUNCTION_ARGS)
{
	(void) rfm_agg_context(fcinfo, "rfm lifetime value fit support function");
	PG_RETURN_POINTER(clv_flatten(PG_GETARG_POINTER(0)));
}

Datum
rfm_clv_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm lifetime value fit support function");

	PG_RETURN_POINTER(clv_read(cxt, PG_GETARG_VARLENA_PP(0)));
}

/* rfm.clv_state I/O: the text form is "clv:" and the flat bytes in hex; both inputs validate. */
Datum
rfm_clv_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(rfm_state_in(PG_GETARG_CSTRING(0), &clv_kind));
}

Datum
rfm_clv_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(rfm_state_out(PG_GETARG_DATUM(0), &clv_kind));
}

Datum
rfm_clv_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(rfm_state_recv((StringInfo) PG_GETARG_POINTER(0), &clv_kind));
}

Datum
rfm_clv_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(rfm_state_send(PG_GETARG_DATUM(0), &clv_kind));
}

/* lets a long fit be cancelled (clv_math.c allocates nothing, so a longjmp is safe) */
static void
clv_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

static int
cell_cmp(const void *a, const void *b)
{
	const ClvCell *x = (const ClvCell *) a;
	const ClvCell *y = (const ClvCell *) b;

	if (x->x != y->x)
		return x->x < y->x ? -1 : 1;
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return 0;
}

/*
 * The cells of a state as an array, with the number of repeaters.  Sorted,
 * so that the fit sums them in one order however the state was built (a
 * serial scan, parallel workers, Citus shards): the same bits every time.
 */
static ClvCell *
state_cells(ClvState *s, int64 *ncells, int64 *repeaters)
{
	int64		n = hash_get_num_entries(s->cells);
	ClvCell    *cells = palloc_extended(Max(n, 1) * sizeof(ClvCell), MCXT_ALLOC_HUGE);
	HASH_SEQ_STATUS seq;
	ClvEntry   *e;
	int64		i = 0;

	*repeaters = 0;
	hash_seq_init(&seq, s->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		cells[i].x = e->key.x;
		cells[i].u = e->key.u;
		cells[i].t = e->key.t;
		cells[i].w = e->w;
		if (e->key.x > 0)
			*repeaters += (int64) e->w;
		i++;
	}
	qsort(cells, n, sizeof(ClvCell), cell_cmp);
	*ncells = n;
	return cells;
}

/*
 * Fit and return the model row: the parameters, ll, n, then the
 * diagnostics iterations, grad_norm, converged.  NULL for no rows.
 */
static Datum
fit_final(FunctionCallInfo fcinfo, int kind, const char *agg)
{
	ClvState   *s;
	ClvCell    *cells;
	int64		ncells,
				repeaters;
	ClvFit		fit;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};
	int			np = clv_npar(kind);
	int			k = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();		/* no rows */
	/* an rfm.clv_state, or (rfm 1.6 and older, until the update) an internal ClvState */
	if (get_fn_expr_argtype(fcinfo->flinfo, 0) == INTERNALOID)
		s = (ClvState *) PG_GETARG_POINTER(0);
	else
		s = (ClvState *) rfm_state_readable(PG_GETARG_DATUM(0), &clv_kind);
	if (s->members == 0 && s->zeros == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: all %lld rows have NULL input", agg, (long long) s->nulls),
				 errhint("Pass non-NULL x, t_x, t (for Gamma-Gamma x and monetary), e.g. from rfm.btyd.")));
	cells = state_cells(s, &ncells, &repeaters);
	if (repeaters == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: no repeat purchases among %lld members", agg, (long long) (s->members + s->zeros)),
				 errhint("The model needs members with x > 0; use a longer calibration period.")));
	if (kind == CLV_GG && ncells < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: all %lld repeaters have the same (x, monetary)", agg, (long long) s->members),
				 errhint("Gamma-Gamma needs spread in the mean spends.")));
	clv_interrupt_hook = clv_check_interrupts;
	clv_fit(kind, cells, ncells, &fit);
	if (!fit.finite)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: the log-likelihood is not finite at any starting value (%lld members, %lld distinct cells)",
						agg, (long long) s->members, (long long) ncells),
				 errhint("Check the time unit: x, t_x and t should be in the same unit, e.g. weeks.")));
	if (fit.boundary >= 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s did not converge: parameter %s runs off towards a limit case of the model", agg,
						clv_param_name(kind, fit.boundary)),
				 errdetail("%s reached %g, 10^4 times off its start (log-likelihood %g after %d iterations); the result has converged = false.",
						   clv_param_name(kind, fit.boundary), fit.par[fit.boundary], fit.ll, fit.iterations),
				 errhint("The data do not identify the model (e.g. every member alike, or too few members); do not use the parameters as they are.")));
	else if (!fit.converged)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s did not converge", agg),
				 errdetail("Gradient norm %g after %d iterations, log-likelihood %g; the parameters returned are the best found and the result has converged = false.",
						   fit.grad_norm, fit.iterations, fit.ll),
				 errhint("The data may not identify the model (e.g. very few repeaters, or every member alike); do not use the parameters as they are.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s must return a composite type", agg);
	tupdesc = BlessTupleDesc(tupdesc);
	for (int i = 0; i < np; i++)
		values[k++] = Float8GetDatum(fit.par[i]);
	values[k++] = Float8GetDatum(fit.ll);
	values[k++] = Int64GetDatum(s->members);
	values[k++] = Int32GetDatum(fit.iterations);
	values[k++] = Float8GetDatum(fit.grad_norm);
	values[k++] = BoolGetDatum(fit.converged);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

Datum
rfm_bgnbd_final(PG_FUNCTION_ARGS)
{
	return fit_final(fcinfo, CLV_BGNBD, "rfm.bgnbd_fit");
}

Datum
rfm_pnbd_final(PG_FUNCTION_ARGS)
{
	return fit_final(fcinfo, CLV_PNBD, "rfm.pnbd_fit");
}

Datum
rfm_gamma_gamma_final(PG_FUNCTION_ARGS)
{
	return fit_final(fcinfo, CLV_GG, "rfm.gamma_gamma_fit");
}
