#!/usr/bin/python3
"""Seeded generator of BTYD member summaries (x, t_x, t, monetary) for bench/clv_fit.sh.

Simulates the BG/NBD purchase process and Gamma-Gamma spend directly at member level
(the story of bench/gen_orders.py, without order rows): member i has a Poisson rate
lambda_i ~ Gamma(r, scale 1/alpha) per week, drops out after each repeat purchase with
probability p_i ~ Beta(a, b), and has an age t uniform on 1..364 days at calibration end.
Purchase times are rounded down to whole days, so (x, t_x, t) take the values real
daily logs give.  The mean repeat spend of x purchases is Gamma(p x, scale 1/(nu_i x)),
nu_i ~ Gamma(q, scale 1/gamma).  Defaults: the CDNOW fits.

Usage: clv_gen.py MEMBERS SEED > summaries.csv   (member_id,x,t_x,t,monetary)
"""
import math
import random
import sys

R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426
P, Q, GAMMA = 6.25, 3.74, 15.44


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]))
    out = sys.stdout
    out.write("member_id,x,t_x,t,monetary\n")
    for i in range(1, n + 1):
        t = rng.randint(1, 364) / 7.0
        lam = rng.gammavariate(R, 1.0 / ALPHA)
        drop = rng.betavariate(A, B)
        x, last, now = 0, 0.0, 0.0
        while True:
            now += rng.expovariate(lam) if lam > 0 else math.inf
            if now > t:
                break
            x += 1
            last = math.floor(now * 7.0) / 7.0
            if rng.random() < drop:  # drops out after this repeat purchase
                break
        monetary = 0.0
        if x > 0:
            nu = rng.gammavariate(Q, 1.0 / GAMMA)
            monetary = rng.gammavariate(P * x, 1.0 / (nu * x))
        out.write("%d,%d,%.17g,%.17g,%.6f\n" % (i, x, last, t, monetary))


if __name__ == "__main__":
    main()
