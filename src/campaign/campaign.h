/*-------------------------------------------------------------------------
 *
 * campaign.h
 *	  Campaign review: the distributions of the tests (distributions.c), the
 *	  exact sufficient statistics of a cell of members (campaign_agg.c) and
 *	  the comparison of a treatment cell with a control cell
 *	  (campaign_compare.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RFM_CAMPAIGN_H
#define RFM_CAMPAIGN_H

#include "postgres.h"

/* distributions.c: plain C, no backend calls */
extern float8 stat_normal_cdf(float8 z);
extern float8 stat_normal_sf(float8 z);
extern float8 stat_normal_quantile(float8 p);
extern float8 stat_normal_isf(float8 q);
extern void stat_incbeta(float8 a, float8 b, float8 x, float8 y, float8 *lower, float8 *upper);
extern void stat_incgamma(float8 a, float8 x, float8 *lower, float8 *upper);
extern float8 stat_t_cdf(float8 t, float8 df);
extern float8 stat_t_sf(float8 t, float8 df);
extern float8 stat_t_quantile(float8 p, float8 df);
extern float8 stat_t_isf(float8 q, float8 df);
extern float8 stat_chi2_cdf(float8 x, float8 df);
extern float8 stat_chi2_sf(float8 x, float8 df);

/* The attributes of rfm.campaign_cell, in order. */
#define CAMPAIGN_CELL_NATTS		7
#define CAMPAIGN_CELL_MEMBERS	0
#define CAMPAIGN_CELL_RESPONDERS 1
#define CAMPAIGN_CELL_SUM_Y		2
#define CAMPAIGN_CELL_SUM_Y2	3
#define CAMPAIGN_CELL_SUM_X		4
#define CAMPAIGN_CELL_SUM_X2	5
#define CAMPAIGN_CELL_SUM_XY	6

/* The size of rfm.campaign_state (its INTERNALLENGTH): two int64 counts, five int128 sums. */
#define CAMPAIGN_STATE_BYTES	96

#endif							/* RFM_CAMPAIGN_H */
