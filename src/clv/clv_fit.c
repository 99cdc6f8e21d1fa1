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
 * combines (cell counts add up) and serializes, so the aggregates run in
 * parallel.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
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
PG_FUNCTION_INFO_V1(rfm_bgnbd_final);
PG_FUNCTION_INFO_V1(rfm_pnbd_final);
PG_FUNCTION_INFO_V1(rfm_gamma_gamma_final);

/* first word of the serialized state */
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

/* rfm.bgnbd_fit / rfm.pnbd_fit transition: (state, x, t_x, t) */
Datum
rfm_clv_btyd_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm.bgnbd_fit support function");
	ClvState   *s = PG_ARGISNULL(0) ? clv_state_create(cxt, CLV_BGNBD) : (ClvState *) PG_GETARG_POINTER(0);
	float8		x,
				t_x,
				t;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		s->nulls++;
		PG_RETURN_POINTER(s);
	}
	x = PG_GETARG_FLOAT8(1);
	t_x = PG_GETARG_FLOAT8(2);
	t = PG_GETARG_FLOAT8(3);
	clv_check_summary(x, t_x, t);
	clv_state_add(s, x, t_x, t, 1);
	PG_RETURN_POINTER(s);
}

/* rfm.gamma_gamma_fit transition: (state, x, monetary); x = 0 rows skipped */
Datum
rfm_clv_gg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm.gamma_gamma_fit support function");
	ClvState   *s = PG_ARGISNULL(0) ? clv_state_create(cxt, CLV_GG) : (ClvState *) PG_GETARG_POINTER(0);
	float8		x,
				m;

	if (PG_ARGISNULL(1))
	{
		s->nulls++;
		PG_RETURN_POINTER(s);
	}
	x = PG_GETARG_FLOAT8(1);
	if (x == 0)
	{
		s->zeros++;
		PG_RETURN_POINTER(s);
	}
	if (PG_ARGISNULL(2))
	{
		s->nulls++;
		PG_RETURN_POINTER(s);
	}
	m = PG_GETARG_FLOAT8(2);
	clv_check_spend(x, m);
	clv_state_add(s, x, m, 0, 1);
	PG_RETURN_POINTER(s);
}

Datum
rfm_clv_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm lifetime value fit support function");
	ClvState   *a = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvState   *b = PG_ARGISNULL(1) ? NULL : (ClvState *) PG_GETARG_POINTER(1);
	HASH_SEQ_STATUS seq;
	ClvEntry   *e;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = clv_state_create(cxt, b->kind);
	else if (a->kind != b->kind)
		elog(ERROR, "rfm lifetime value fit states of different kinds (%d, %d)", a->kind, b->kind);
	a->nulls += b->nulls;
	a->zeros += b->zeros;
	hash_seq_init(&seq, b->cells);
	while ((e = hash_seq_search(&seq)) != NULL)
		clv_state_add(a, e->key.x, e->key.u, e->key.t, e->w);
	PG_RETURN_POINTER(a);
}

/*
 * Serialized: int32 version, int32 kind, int64 nulls, int64 zeros,
 * int64 cells, then per cell float8 x, u, t, w (network order).
 */
Datum
rfm_clv_serialize(PG_FUNCTION_ARGS)
{
	ClvState   *s = (ClvState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	HASH_SEQ_STATUS seq;
	ClvEntry   *e;

	(void) rfm_agg_context(fcinfo, "rfm lifetime value fit support function");
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
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
bad_state(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid rfm lifetime value fit state: %s", what),
			 errhint("The bytes do not come from rfm.clv_serialize.")));
}

/* Every value is checked as the transition function checks rows. */
Datum
rfm_clv_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = rfm_agg_context(fcinfo, "rfm lifetime value fit support function");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	int32		version,
				kind;
	int64		nulls,
				zeros,
				n;
	ClvState   *s;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 32)
		bad_state("too short");
	version = pq_getmsgint(&buf, 4);
	if (version != CLV_STATE_VERSION)
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
	PG_RETURN_POINTER(s);
}

/* lets a long fit be cancelled (clv_math.c allocates nothing, so a longjmp is safe) */
static void
clv_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* The cells of a state as an array, with the number of repeaters. */
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
	ClvState   *s = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvCell    *cells;
	int64		ncells,
				repeaters;
	ClvFit		fit;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};
	int			np = clv_npar(kind);
	int			k = 0;

	if (s == NULL)
		PG_RETURN_NULL();		/* no rows */
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
