#!/usr/bin/env python3
"""Write the GLMM examples (docs/glmm.md): McCulloch's (1997) logit-normal design.

    examples/data/glmm_mcculloch.csv     50 groups x 15 rows, x_ij = j/15,
                                         logit p_ij = 5 x_ij + u_i, u_i ~ N(0, 1)
    examples/data/glmm_boundary.csv      10 groups x 15 rows, the same x, beta = 5,
                                         u_i ~ N(0, 0.05): a draw whose MLE of sigma^2
                                         is 0 (lme4: a singular fit; tests/golden/glmm_lme4.R)
    examples/data/glmm_poisson.csv       40 groups x 8 rows, x ~ U(0, 2),
                                         log mu_ij = 0.5 - 0.4 x_ij + u_i, u_i ~ N(0, 0.5)

Columns group,x,y. Fixed seeds: run `python3 tools/make_glmm_data.py` from the checkout's
root to write the same files again.
"""
import sys

import numpy as np


def design(groups, sigma2, seed, beta=5.0, per=15):
    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, np.sqrt(sigma2), size=groups)
    rows = []
    for i in range(groups):
        for j in range(1, per + 1):
            x = j / per
            p = 1.0 / (1.0 + np.exp(-(beta * x + u[i])))
            rows.append((i + 1, x, int(rng.uniform() < p)))
    return rows


def poisson(groups, per, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(groups):
        u = rng.normal(0.0, np.sqrt(0.5))
        for _ in range(per):
            x = round(rng.uniform(0.0, 2.0), 3)
            rows.append((i + 1, x, int(rng.poisson(np.exp(0.5 - 0.4 * x + u)))))
    return rows


def write(path, rows):
    with open(path, "w") as f:
        f.write("group,x,y\n")
        for g, x, y in rows:
            f.write("%d,%.17g,%d\n" % (g, x, y))


BOUNDARY_SEED = 3  # the first of seeds 1, 2, ... whose lme4 fit is singular


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    write(root + "/examples/data/glmm_mcculloch.csv", design(50, 1.0, 1997))
    write(root + "/examples/data/glmm_boundary.csv", design(10, 0.05, BOUNDARY_SEED))
    write(root + "/examples/data/glmm_poisson.csv", poisson(40, 8, 2024))



if __name__ == "__main__":
    main()
