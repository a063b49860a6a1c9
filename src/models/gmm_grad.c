/*
 * src/models/gmm_grad.c — the unconstrained coordinates of the structured Gaussian
 * mixtures and the log-likelihood's gradient in them (docs/acceleration.md).
 *
 * mclust's parametrisation Sigma_k = lambda_k D_k A_k D_k^T (Celeux & Govaert 1995,
 * Pattern Recognition 28(5)), plus r I, the reg_covar the M-step adds (so that every
 * covariance EM produces is a point of the map, and the reference point round-trips):
 * the volume lambda, the shape A (diagonal, det A = 1) and the orientation D (orthogonal)
 * are each shared (E), per component (V) or absent (I: A = I, D = I), as the three
 * letters of the model's name say. The coordinates, relative to the reference point
 * (lambda0, A0, D0) that vem__gmm_sgrad_ref fixes:
 *   - log lambda = log lambda0 + v (1 or k of them);
 *   - log diag A = log diag A0 + P b, P the d x (d - 1) orthonormal Helmert contrasts
 *     (column m: 1 / q on rows 0..m, -(m + 1) / q on row m + 1, q = sqrt((m + 1)(m + 2))),
 *     so that det A stays 1 (0, 1 or k shapes of d - 1 coordinates);
 *   - D = D0 C(W), C(W) = (I - W/2)^-1 (I + W/2) the Cayley transform of the skew W,
 *     W_ij = s_ij t_ij = -W_ji (i < j, row by row: d (d - 1) / 2 coordinates t per
 *     orientation), with s_ij = 1 / sqrt(max(1, sum_k w_k (e_ki / e_kj + e_kj / e_ki - 2)))
 *     (e the reference's variances along D0's axes; w_k the weights for a shared D, 1
 *     for a component's own): a rotation by angle x in the plane of two axes carries
 *     Fisher information N (e_i - e_j)^2 / (e_i e_j) x^2, so that t, like the log
 *     variances and the whitened means, is on the scale of the data's spread (the
 *     penguins' axes in grams and millimetres differ 10^5 in variance).
 * The gradient: with G_k = dl / dSigma_k = 1/2 Sigma_k^-1 (S_k - N_k Sigma_k) Sigma_k^-1,
 * S_k the scatter about mu_k, and B_k = D_k^T G_k D_k = 1/2 E^-1 (D_k^T S_k D_k - N_k E)
 * E^-1 (E = lambda_k A_k + r I), dl / dlog lambda_k = tr(L_k B_k), dl / dlog a_kj =
 * (L_k B_k)_jj with L_k = lambda_k A_k, and dl / dW = (I - W/2)^-1 B_k L_k (I + C)^T
 * (from dD = D0 (I - W/2)^-1 (dW / 2) (I + C)), of which an independent coordinate t_ij
 * takes s_ij (Z_ij - Z_ji).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "models/gmm_grad.h"

/* What cov shares, and where its pieces are in the reference array:
 * [current coordinates (len)] [r] [log lambda0 (nv)] [log diag A0 (na x d)] [D0 (no x d x d,
 * row-major, the axes in its columns)] [s (no x t)]. */
typedef struct geom {
    size_t nv, na, no; /* volumes, shapes, orientations: 0 (identity), 1 (E) or k (V) */
    size_t t;          /* coordinates of one orientation, d (d - 1) / 2 */
    size_t len;        /* coordinates */
    size_t o_r, o_lam, o_a, o_d, o_s, ref_len;
} geom;

static size_t groups(char letter, size_t k)
{
    return letter == 'E' ? 1 : letter == 'V' ? k : 0;
}

static geom geometry(vem_cov cov, size_t k, size_t d)
{
    const char *name = vem_cov_mclust_name(cov);
    geom g;
    memset(&g, 0, sizeof g);
    if (name) {
        g.nv = groups(name[0], k);
        g.na = groups(name[1], k);
        g.no = groups(name[2], k);
    }
    g.t = d * (d - 1) / 2;
    g.len = g.nv + g.na * (d - 1) + g.no * g.t;
    g.o_r = g.len;
    g.o_lam = g.o_r + 1;
    g.o_a = g.o_lam + g.nv;
    g.o_d = g.o_a + g.na * d;
    g.o_s = g.o_d + g.no * d * d;
    g.ref_len = g.o_s + g.no * g.t;
    return g;
}

size_t vem__gmm_sgrad_len(vem_cov cov, size_t k, size_t d)
{
    return geometry(cov, k, d).len;
}

size_t vem__gmm_sgrad_ref_len(vem_cov cov, size_t k, size_t d)
{
    return geometry(cov, k, d).ref_len;
}

size_t vem__gmm_sgrad_work_len(size_t k, size_t d)
{
    return (k + 8) * d * d + k * d + 4 * d;
}

double *vem__gmm_sgrad_current(double *ref)
{
    return ref;
}

/* Entry j of column m of the Helmert contrasts (orthonormal, orthogonal to 1). */
static double helmert(size_t j, size_t m)
{
    const double q = sqrt((double)((m + 1) * (m + 2)));
    return j <= m ? 1.0 / q : j == m + 1 ? -(double)(m + 1) / q : 0.0;
}

/*
 * Eigen-decomposition of the symmetric positive definite a (d x d, both triangles;
 * destroyed) by cyclic Jacobi rotations: ev ascending, the columns of v the unit
 * eigenvectors. Jacobi rather than LAPACK's QR algorithm because on a positive definite
 * matrix it finds every eigenvalue and eigenvector to high relative accuracy (Demmel &
 * Veselic 1992, with the stopping rule |a_pq| <= eps sqrt(a_pp a_qq)): the penguins'
 * variance of 10^0 mm^2 beside 10^5 g^2 comes back to round-off of itself, not of the
 * largest, so that the reference point round-trips.
 */
static void jacobi(size_t d, double *a, double *v, double *ev)
{
    memset(v, 0, d * d * sizeof *v);
    for (size_t i = 0; i < d; i++)
        v[i * d + i] = 1.0;
    for (int sweep = 0; sweep < 64; sweep++) {
        int rotated = 0;
        for (size_t p = 0; p < d; p++)
            for (size_t q = p + 1; q < d; q++) {
                const double apq = a[p * d + q];
                if (!(fabs(apq) > DBL_EPSILON * sqrt(fabs(a[p * d + p] * a[q * d + q]))))
                    continue;
                rotated = 1;
                /* Rutishauser's rotation zeroing a_pq (Numerical Recipes' jacobi). */
                const double theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                double t = fabs(theta) > 1e150 ? 0.5 / fabs(theta)
                                               : 1.0 / (fabs(theta) + sqrt(theta * theta + 1.0));
                if (theta < 0.0)
                    t = -t;
                const double c = 1.0 / sqrt(t * t + 1.0), s = t * c, tau = s / (1.0 + c);
                a[p * d + p] -= t * apq;
                a[q * d + q] += t * apq;
                a[p * d + q] = a[q * d + p] = 0.0;
                for (size_t r = 0; r < d; r++) {
                    if (r != p && r != q) {
                        const double g = a[r * d + p], h = a[r * d + q];
                        a[r * d + p] = a[p * d + r] = g - s * (h + g * tau);
                        a[r * d + q] = a[q * d + r] = h + s * (g - h * tau);
                    }
                    const double g = v[r * d + p], h = v[r * d + q];
                    v[r * d + p] = g - s * (h + g * tau);
                    v[r * d + q] = h + s * (g - h * tau);
                }
            }
        if (!rotated)
            break;
    }
    for (size_t j = 0; j < d; j++)
        ev[j] = a[j * d + j];
    for (size_t j = 0; j < d; j++) { /* ascending, as the M-step's (LAPACK's) order */
        size_t m = j;
        for (size_t l = j + 1; l < d; l++)
            if (ev[l] < ev[m])
                m = l;
        if (m == j)
            continue;
        const double e = ev[j];
        ev[j] = ev[m];
        ev[m] = e;
        for (size_t i = 0; i < d; i++) {
            const double x = v[i * d + j];
            v[i * d + j] = v[i * d + m];
            v[i * d + m] = x;
        }
    }
}

/* inv = a^-1 by Gauss-Jordan elimination with partial pivoting (a destroyed). Only for
 * I - W/2, W skew, whose eigenvalues 1 - i x / 2 keep it far from singular. */
static void invert(size_t d, double *a, double *inv)
{
    memset(inv, 0, d * d * sizeof *inv);
    for (size_t i = 0; i < d; i++)
        inv[i * d + i] = 1.0;
    for (size_t c = 0; c < d; c++) {
        size_t p = c;
        for (size_t r = c + 1; r < d; r++)
            if (fabs(a[r * d + c]) > fabs(a[p * d + c]))
                p = r;
        if (p != c)
            for (size_t j = 0; j < d; j++) {
                double x = a[c * d + j];
                a[c * d + j] = a[p * d + j];
                a[p * d + j] = x;
                x = inv[c * d + j];
                inv[c * d + j] = inv[p * d + j];
                inv[p * d + j] = x;
            }
        const double f = 1.0 / a[c * d + c];
        for (size_t j = 0; j < d; j++) {
            a[c * d + j] *= f;
            inv[c * d + j] *= f;
        }
        for (size_t r = 0; r < d; r++) {
            const double m = a[r * d + c];
            if (r == c || m == 0.0)
                continue;
            for (size_t j = 0; j < d; j++) {
                a[r * d + j] -= m * a[c * d + j];
                inv[r * d + j] -= m * inv[c * d + j];
            }
        }
    }
}

/*
 * The orientation D = D0 C(W) (dm) from its coordinates t, with ainv = (I - W/2)^-1 and
 * C (cm). At t = 0 all three are exact: I, I and D0. w: 2 d x d of work.
 */
static void orientation(size_t d, const double *d0, const double *t, const double *s,
                        double *ainv, double *cm, double *dm, double *w)
{
    double *wm = w, *am = w + d * d;
    for (size_t i = 0, x = 0; i < d; i++) {
        wm[i * d + i] = 0.0;
        for (size_t j = i + 1; j < d; j++, x++) {
            wm[i * d + j] = s[x] * t[x];
            wm[j * d + i] = -wm[i * d + j];
        }
    }
    for (size_t i = 0; i < d * d; i++)
        am[i] = -0.5 * wm[i];
    for (size_t i = 0; i < d; i++)
        am[i * d + i] += 1.0;
    invert(d, am, ainv);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double x = 0.0;
            for (size_t l = 0; l < d; l++)
                x += ainv[i * d + l] * wm[l * d + j];
            cm[i * d + j] = ainv[i * d + j] + 0.5 * x;
        }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double x = 0.0;
            for (size_t l = 0; l < d; l++)
                x += d0[i * d + l] * cm[l * d + j];
            dm[i * d + j] = x;
        }
}

/* Component c's volume (returned) and shape a (d) at the coordinates uc. */
static double vol_shape(const geom *g, size_t d, const double *ref, const double *uc, size_t c,
                        double *a)
{
    const double lam = exp(ref[g->o_lam + (g->nv == 1 ? 0 : c)] + uc[g->nv == 1 ? 0 : c]);
    if (g->na == 0) {
        for (size_t j = 0; j < d; j++)
            a[j] = 1.0;
        return lam;
    }
    const size_t ia = g->na == 1 ? 0 : c;
    const double *b = uc + g->nv + ia * (d - 1), *la0 = ref + g->o_a + ia * d;
    for (size_t j = 0; j < d; j++) {
        double x = 0.0;
        for (size_t m = 0; m + 1 < d; m++)
            x += helmert(j, m) * b[m];
        a[j] = exp(la0[j] + x);
    }
    return lam;
}

/* Component c's orientation group's D (and ainv, C) at the coordinates uc. */
static void comp_orientation(const geom *g, size_t d, const double *ref, const double *uc,
                             size_t io, double *ainv, double *cm, double *dm, double *w)
{
    orientation(d, ref + g->o_d + io * d * d, uc + g->nv + g->na * (d - 1) + io * g->t,
                ref + g->o_s + io * g->t, ainv, cm, dm, w);
}

/* x = covariance c of covs (full layout) less r on the diagonal. */
static void less_r(size_t d, const double *covs, size_t c, double r, double *x)
{
    memcpy(x, covs + c * d * d, d * d * sizeof *x);
    for (size_t j = 0; j < d; j++)
        x[j * d + j] -= r;
}

vem_status vem__gmm_sgrad_ref(vem_cov cov, size_t k, size_t d, const double *weights,
                              const double *covs, double r, double *ref, double *work)
{
    const geom g = geometry(cov, k, d);
    const vem_cov lay = vem_cov_layout(cov);
    double *v = work, *x = v + k * d, *m = x + d * d, *tmp = m + d * d;
    double *d0 = ref + g.o_d;
    memset(ref, 0, g.ref_len * sizeof *ref);
    ref[g.o_r] = r;
    if (g.no == 1) {
        /* The shared axes: those of a combination with distinct weights (any of the
         * structure's covariances would do, but one may have equal variances along two
         * axes where the others do not). */
        memset(m, 0, d * d * sizeof *m);
        for (size_t c = 0; c < k; c++) {
            less_r(d, covs, c, r, x);
            double tr = 0.0;
            for (size_t j = 0; j < d; j++)
                tr += x[j * d + j];
            for (size_t i = 0; i < d * d; i++)
                m[i] += x[i] / (tr * (double)(c + 1));
        }
        jacobi(d, m, d0, tmp);
    }
    /* v: the variances along the axes, then their logarithms. */
    for (size_t c = 0; c < k; c++) {
        double *vc = v + c * d;
        if (g.no == 0) {
            for (size_t j = 0; j < d; j++)
                vc[j] = (lay == VEM_COV_DIAG ? covs[c * d + j] : covs[c]) - r;
        } else if (g.no == 1) {
            less_r(d, covs, c, r, x);
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double y = 0.0;
                    for (size_t l = 0; l < d; l++)
                        y += x[i * d + l] * d0[l * d + j];
                    tmp[i * d + j] = y;
                }
            for (size_t j = 0; j < d; j++) {
                double y = 0.0;
                for (size_t l = 0; l < d; l++)
                    y += d0[l * d + j] * tmp[l * d + j];
                vc[j] = y;
            }
        } else {
            less_r(d, covs, c, r, x);
            jacobi(d, x, d0 + c * d * d, vc);
        }
        double ll = 0.0;
        for (size_t j = 0; j < d; j++) {
            if (!(vc[j] > 0.0) || !isfinite(vc[j]))
                return VEM_FAIL(VEM_ENUMERIC,
                                "GMM gradient: covariance %zu less %g on its diagonal is not "
                                "positive definite (variance %g along axis %zu)",
                                c + 1, r, vc[j], j + 1);
            vc[j] = log(vc[j]);
            ll += vc[j];
        }
        ll /= (double)d;
        ref[g.o_lam + (g.nv == 1 ? 0 : c)] += g.nv == 1 ? ll / (double)k : ll;
        if (g.na)
            for (size_t j = 0; j < d; j++)
                ref[g.o_a + (g.na == 1 ? 0 : c * d) + j] +=
                    (vc[j] - ll) / (g.na == 1 ? (double)k : 1.0);
    }
    /* The scales s of the orientations' coordinates, from the reference's variances. */
    double *e = x;
    for (size_t c = 0; c < k && g.no; c++) {
        const double lam = vol_shape(&g, d, ref, ref, c, e);
        for (size_t j = 0; j < d; j++)
            e[j] = lam * e[j] + r;
        const size_t io = g.no == 1 ? 0 : c;
        const double wt = g.no == 1 ? weights[c] : 1.0;
        double *s = ref + g.o_s + io * g.t;
        for (size_t i = 0, y = 0; i < d; i++)
            for (size_t j = i + 1; j < d; j++, y++)
                s[y] += wt * (e[i] / e[j] + e[j] / e[i] - 2.0);
    }
    for (size_t i = 0; i < g.no * g.t; i++)
        ref[g.o_s + i] = 1.0 / sqrt(fmax(1.0, ref[g.o_s + i]));
    return VEM_OK;
}

void vem__gmm_sgrad_covs(vem_cov cov, size_t k, size_t d, const double *ref, const double *uc,
                         double *covs, double *work)
{
    const geom g = geometry(cov, k, d);
    const vem_cov lay = vem_cov_layout(cov);
    const double r = ref[g.o_r];
    double *a = work, *ainv = a + d, *cm = ainv + d * d, *dm = cm + d * d, *w = dm + d * d;
    for (size_t c = 0; c < k; c++) {
        const double lam = vol_shape(&g, d, ref, uc, c, a);
        for (size_t j = 0; j < d; j++)
            a[j] *= lam;
        if (lay == VEM_COV_SPHERICAL) {
            covs[c] = a[0] + r;
        } else if (lay == VEM_COV_DIAG) {
            for (size_t j = 0; j < d; j++)
                covs[c * d + j] = a[j] + r;
        } else {
            comp_orientation(&g, d, ref, uc, g.no == 1 ? 0 : c, ainv, cm, dm, w);
            double *sig = covs + c * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = i; j < d; j++) {
                    double x = 0.0;
                    for (size_t l = 0; l < d; l++)
                        x += dm[i * d + l] * a[l] * dm[j * d + l];
                    if (i == j)
                        x += r;
                    sig[i * d + j] = x;
                    sig[j * d + i] = x;
                }
        }
    }
}

void vem__gmm_sgrad_grad(vem_cov cov, size_t k, size_t d, const double *ref, const double *nk,
                         const double *scat, double *grad, double *work)
{
    const geom g = geometry(cov, k, d);
    const double r = ref[g.o_r], *uc = ref;
    double *l = work, *e = l + d, *ainv = e + d, *cm = ainv + d * d, *dm = cm + d * d;
    double *w = dm + d * d, *st = w + 2 * d * d, *b = st + d * d, *y = b + d * d;
    double *gs = y + g.no * d * d;
    double *gv = grad, *gb = grad + g.nv, *gt = gb + g.na * (d - 1);
    memset(grad, 0, g.len * sizeof *grad);
    memset(y, 0, (g.no * d * d + g.na * d) * sizeof *y);
    for (size_t c = 0; c < k; c++) {
        const double lam = vol_shape(&g, d, ref, uc, c, l);
        for (size_t j = 0; j < d; j++) {
            l[j] *= lam;
            e[j] = l[j] + r;
        }
        if (g.no) {
            /* B = 1/2 E^-1 (D^T S D - N E) E^-1. */
            const double *s = scat + c * d * d;
            comp_orientation(&g, d, ref, uc, g.no == 1 ? 0 : c, ainv, cm, dm, w);
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double x = 0.0;
                    for (size_t m = 0; m < d; m++)
                        x += s[i * d + m] * dm[m * d + j];
                    w[i * d + j] = x;
                }
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double x = 0.0;
                    for (size_t m = 0; m < d; m++)
                        x += dm[m * d + i] * w[m * d + j];
                    st[i * d + j] = x;
                }
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++)
                    b[i * d + j] =
                        0.5 * (st[i * d + j] - (i == j ? nk[c] * e[i] : 0.0)) / (e[i] * e[j]);
            /* Y += B L (I + C)^T, for Z = (I - W/2)^-1 Y once per orientation. */
            double *yc = y + (g.no == 1 ? 0 : c) * d * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double x = b[i * d + j] * l[j];
                    for (size_t m = 0; m < d; m++)
                        x += b[i * d + m] * l[m] * cm[j * d + m];
                    yc[i * d + j] += x;
                }
        } else {
            for (size_t j = 0; j < d; j++)
                b[j * d + j] = 0.5 * (scat[c * d + j] - nk[c] * e[j]) / (e[j] * e[j]);
        }
        for (size_t j = 0; j < d; j++) {
            const double x = l[j] * b[j * d + j];
            gv[g.nv == 1 ? 0 : c] += x;
            if (g.na)
                gs[(g.na == 1 ? 0 : c) * d + j] += x;
        }
    }
    for (size_t ia = 0; ia < g.na; ia++)
        for (size_t m = 0; m + 1 < d; m++) {
            double x = 0.0;
            for (size_t j = 0; j < d; j++)
                x += helmert(j, m) * gs[ia * d + j];
            gb[ia * (d - 1) + m] = x;
        }
    for (size_t io = 0; io < g.no; io++) {
        const double *yc = y + io * d * d, *s = ref + g.o_s + io * g.t;
        comp_orientation(&g, d, ref, uc, io, ainv, cm, dm, w);
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double x = 0.0;
                for (size_t m = 0; m < d; m++)
                    x += ainv[i * d + m] * yc[m * d + j];
                st[i * d + j] = x;
            }
        double *gtc = gt + io * g.t;
        for (size_t i = 0, x = 0; i < d; i++)
            for (size_t j = i + 1; j < d; j++, x++)
                gtc[x] = s[x] * (st[i * d + j] - st[j * d + i]);
    }
}
