/*-------------------------------------------------------------------------
 *
 * clv.h
 *	  Lifetime value models: BG/NBD, Pareto/NBD, Gamma-Gamma.
 *
 * clv_math.c is plain C (no backend calls) so it can be checked on its own:
 * special functions, the log-likelihoods with their gradients, and the
 * optimiser.  clv_fit.c holds the fitting aggregates, clv_predict.c the
 * functions that use a fitted model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLV_H
#define CLV_H

#include <stdbool.h>
#include <stdint.h>

/* Model kinds: the aggregate state and the serialized bytes carry one. */
#define CLV_BGNBD	1
#define CLV_PNBD	2
#define CLV_GG		3

/*
 * One distinct member summary and how many members share it.  For BG/NBD
 * and Pareto/NBD (x, t_x, t); for Gamma-Gamma (x, monetary, 0).
 */
typedef struct ClvCell
{
	double		x;
	double		u;				/* t_x, or monetary */
	double		t;				/* t, or 0 */
	double		w;				/* number of members */
} ClvCell;

/* The result of a fit. */
typedef struct ClvFit
{
	double		par[4];			/* natural scale */
	double		ll;				/* total log-likelihood */
	double		grad_norm;		/* Euclidean norm of d ll / d log(par) */
	int			iterations;		/* BFGS iterations, all starts */
	bool		converged;
	bool		finite;			/* a finite log-likelihood was reached */
	int			boundary;		/* index of a parameter that ran off, or -1 */
} ClvFit;

/* clv_math.c */
extern void (*clv_interrupt_hook) (void);
extern double clv_digamma(double x);
extern double clv_log_hyp2f1(double a, double b, double c, double z,
							 double *da, double *db, double *dc, double *dz);
extern double clv_ll(int kind, const ClvCell *cells, int64_t ncells,
					 const double *logpar, double *grad);
extern void clv_fit(int kind, const ClvCell *cells, int64_t ncells, ClvFit *fit);
extern int	clv_npar(int kind);
extern const char *clv_param_name(int kind, int i);

extern double clv_bgnbd_p_alive(const double *par, double x, double t_x, double t);
extern double clv_bgnbd_expected(const double *par, double h);
extern double clv_bgnbd_conditional(const double *par, double h, double x, double t_x, double t);
extern double clv_pnbd_p_alive(const double *par, double x, double t_x, double t);
extern double clv_pnbd_expected(const double *par, double h);
extern double clv_pnbd_conditional(const double *par, double h, double x, double t_x, double t);
extern double clv_gg_expected_spend(const double *par, double x, double m);

/* clv_fit.c: input checks that raise errors naming the bad value */
extern void clv_check_summary(double x, double t_x, double t);
extern void clv_check_spend(double x, double m);

#endif							/* CLV_H */
