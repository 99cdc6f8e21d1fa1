/*-------------------------------------------------------------------------
 *
 * segment.c
 *	  rfm.segment: named segments of (r, f, m) scores from the rows of
 *	  rfm.segment_rule.
 *
 * The rules of a map are read once per query and call site (fn_extra) and
 * turned into a 5 x 5 x 5 lookup table, so labelling millions of members
 * costs an array access each.  Scores outside 1..5 (maps for other bin
 * counts) are matched against the rules directly.  The matching rule with
 * the lowest priority wins; no match gives 'other'.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "scoring.h"

PG_FUNCTION_INFO_V1(rfm_segment);

typedef struct SegmentRule
{
	int32		r_min,
				r_max,
				f_min,
				f_max,
				m_min,
				m_max;
	text	   *segment;
} SegmentRule;

typedef struct SegmentMap
{
	char	   *name;			/* the map these rules belong to */
	int			nrules;
	SegmentRule *rules;			/* by priority */
	text	   *cell[5][5][5];	/* first matching segment, NULL = other */
	text	   *other;
} SegmentMap;

static text *
match_rules(SegmentMap *map, int32 r, int32 f, int32 m)
{
	for (int i = 0; i < map->nrules; i++)
	{
		SegmentRule *rule = &map->rules[i];

		if (r >= rule->r_min && r <= rule->r_max &&
			f >= rule->f_min && f <= rule->f_max &&
			m >= rule->m_min && m <= rule->m_max)
			return rule->segment;
	}
	return NULL;
}

/* Read the rules of one map (in cxt); unknown maps are an error. */
static SegmentMap *
load_map(MemoryContext cxt, const char *name)
{
	SegmentMap *map;
	Datum		arg = CStringGetTextDatum(name);
	Oid			argtype = TEXTOID;
	MemoryContext old;

	SPI_connect();
	if (SPI_execute_with_args("SELECT segment, r_min, r_max, f_min, f_max, m_min, m_max "
							  "FROM rfm.segment_rule WHERE map = $1 ORDER BY priority",
							  1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read rfm.segment_rule");
	if (SPI_processed == 0)
	{
		char	   *known = NULL;

		if (SPI_execute("SELECT string_agg(DISTINCT map, ', ' ORDER BY map) FROM rfm.segment_rule",
						true, 0) == SPI_OK_SELECT && SPI_processed == 1)
			known = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown segment map \"%s\"", name),
				 errhint("Known maps: %s. Add a map by inserting rows into rfm.segment_rule.",
						 known ? known : "none")));
	}

	old = MemoryContextSwitchTo(cxt);
	map = palloc0(sizeof(SegmentMap));
	map->name = pstrdup(name);
	map->nrules = (int) SPI_processed;
	map->rules = palloc(map->nrules * sizeof(SegmentRule));
	map->other = cstring_to_text("other");
	for (int i = 0; i < map->nrules; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int32	   *bounds[6] = {&map->rules[i].r_min, &map->rules[i].r_max,
			&map->rules[i].f_min, &map->rules[i].f_max,
		&map->rules[i].m_min, &map->rules[i].m_max};

		map->rules[i].segment = DatumGetTextPCopy(SPI_getbinval(tup, desc, 1, &isnull));
		for (int k = 0; k < 6; k++)
			*bounds[k] = DatumGetInt32(SPI_getbinval(tup, desc, k + 2, &isnull));
	}
	for (int r = 1; r <= 5; r++)
		for (int f = 1; f <= 5; f++)
			for (int m = 1; m <= 5; m++)
				map->cell[r - 1][f - 1][m - 1] = match_rules(map, r, f, m);
	MemoryContextSwitchTo(old);
	SPI_finish();
	return map;
}

Datum
rfm_segment(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);
	int32		m = PG_GETARG_INT32(2);
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(3));
	List	   *maps = (List *) fcinfo->flinfo->fn_extra;
	SegmentMap *map = NULL;
	ListCell   *lc;
	text	   *segment;

	/* the maps this call site has used in this query, each loaded once */
	foreach(lc, maps)
	{
		if (strcmp(((SegmentMap *) lfirst(lc))->name, name) == 0)
		{
			map = (SegmentMap *) lfirst(lc);
			break;
		}
	}
	if (map == NULL)
	{
		MemoryContext old;

		map = load_map(fcinfo->flinfo->fn_mcxt, name);
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = lappend(maps, map);
		MemoryContextSwitchTo(old);
	}
	if (r >= 1 && r <= 5 && f >= 1 && f <= 5 && m >= 1 && m <= 5)
		segment = map->cell[r - 1][f - 1][m - 1];
	else
		segment = match_rules(map, r, f, m);
	/* a copy: the cached text must not be handed out */
	PG_RETURN_TEXT_P(DatumGetTextPCopy(PointerGetDatum(segment ? segment : map->other)));
}
