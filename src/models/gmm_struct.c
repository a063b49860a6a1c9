/*
 * src/models/gmm_struct.c — covariance M-steps of the structured Gaussian
 * mixture models, Sigma_k = lambda_k D_k A_k D_k^T (Celeux & Govaert 1995,
 * Pattern Recognition 28(5); mclust's definitions and parameterisation, mclust
 * 6.0). W_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T is the scatter of component k,
 * n_k its soft count and n = sum_k n_k.
 *
 * Closed form (Celeux & Govaert, Table 1 and section 4):
 *   EII  lambda = tr(sum_k W_k) / (n d)
 *   EEI  Sigma = diag(sum_k W_k) / n
 *   EVI  lambda A_k with A_k = diag(W_k) / |diag(W_k)|^(1/d), lambda = sum_k |diag W_k|^(1/d) / n
 *   EEV  W_k = D_k Omega_k D_k^T (eigenvalues in the same order for every k):
 *        Sigma_k = D_k (sum_j Omega_j / n) D_k^T
 *   EVV  lambda C_k with C_k = W_k / |W_k|^(1/d), lambda = sum_k |W_k|^(1/d) / n
 * Iterative (alternating maximisation, each step a conditional maximiser, so the
 * expected complete-data log-likelihood never decreases along them):
 *   VEI  lambda_k = tr(W_k A^-1) / (d n_k);  A = diag(sum_k W_k / lambda_k), |A| = 1
 *   VEE  lambda_k = tr(W_k C^-1) / (d n_k);  C = sum_k W_k / lambda_k, |C| = 1
 *        (lambda_k = 1 at the start of every M-step, as mclust)
 *   VEV  lambda_k = tr(Omega_k A^-1) / (d n_k);  A = sum_k Omega_k / lambda_k, |A| = 1,
 *        D_k the eigenvectors of W_k
 *   EVE, VVE  the common orientation by Browne & McNicholas' (2014) two
 *        majorisation-minimisation steps per iteration (each the orthogonal polar
 *        factor of a sum over components), then the shapes (and for VVE the
 *        volumes) as diag(D^T W_k D) normalised, exactly as mclust's meeve/mevve:
 *        for VVE mclust's orientation steps weigh component k by A_k^-1, not
 *        (lambda_k A_k)^-1, and vem does the same so that the fixed points agree.
 * The inner loop stops when the relative change of its objective
 * |t - t_prev| / (1 + |t|) is at most tol or after max_iter iterations: t is
 * sum_k n_k log lambda_k (VEI, VEE, VEV) or sum_k tr(D A_k^-1 D^T W_k) (EVE, VVE).
 * Shapes (VEI, VEV) and the orientation with its shapes (EVE, VVE) start from the
 * previous M-step's (mclust carries them over the EM iterations the same way);
 * the first M-step of a fit starts from A = I, D = I (VEI, EVE, VVE) and from
 * sum_k Omega_k normalised (VEV).
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "linalg/linalg.h"
#include "models/gmm_struct.h"

size_t vem__gmm_struct_work_len(size_t k, size_t d)
{
    return 2 * k * d * d + k * d + 8 * d * d + k + 4 * d + vem__sym_eig_work_len(d);
}

/* exp(mean log v): |diag(v)|^(1/d); 0 if an entry is not positive. */
static double geomean(const double *v, size_t d, size_t stride)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double x = v[j * stride];
        if (!(x > 0.0) || !isfinite(x))
            return 0.0;
        s += log(x);
    }
    return exp(s / (double)d);
}

/* |a|^(1/d) of a symmetric positive definite a (both triangles); 0 if not PD. */
static double det_root(size_t d, const double *a, double *l)
{
    if (vem__cholesky(d, a, l) != 0)
        return 0.0;
    double s = 0.0;
    for (size_t j = 0; j < d; j++)
        s += log(l[j * d + j]);
    return exp(2.0 * s / (double)d);
}

static int stop_rule(double t, double *t_prev, double tol)
{
    int done = fabs(t - *t_prev) <= tol * (1.0 + fabs(t));
    *t_prev = t;
    return done;
}

/* Eigen-decomposition of every W_k: ev (k x d, ascending), vec (k x d x d, rows). */
static vem_status eig_all(size_t k, size_t d, const double *w, double *vec, double *ev,
                          double *lw, size_t llw)
{
    memcpy(vec, w, k * d * d * sizeof *vec);
    for (size_t c = 0; c < k; c++) {
        if (vem__sym_eig(d, vec + c * d * d, ev + c * d, lw, llw) != 0)
            return VEM_FAIL(VEM_ENUMERIC, "M-step: eigen-decomposition of component %zu failed",
                            c + 1);
        if (!(ev[c * d] > 0.0))
            return VEM_FAIL(VEM_ENUMERIC,
                            "M-step: the scatter matrix of component %zu is singular (eigenvalue "
                            "%g)",
                            c + 1, ev[c * d]);
    }
    return VEM_OK;
}

/* Sigma_k = sum_j s_j v_j v_j^T, v_j the rows of vec (d x d). */
static void compose(size_t d, const double *vec, const double *s, double *sigma)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) {
            double v = 0.0;
            for (size_t l = 0; l < d; l++)
                v += s[l] * vec[l * d + i] * vec[l * d + j];
            sigma[i * d + j] = v;
            sigma[j * d + i] = v;
        }
}

/* O = R P^T for f = P S R^T (all column-major): the transposed orthogonal polar factor. */
static vem_status polar_t(size_t d, double *f, double *o, double *u, double *vt, double *s,
                          double *lw, size_t llw)
{
    if (vem__svd_colmajor(d, f, s, u, vt, lw, llw) != 0)
        return VEM_FAIL(VEM_ENUMERIC, "M-step: SVD of the orientation update failed");
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double v = 0.0;
            for (size_t l = 0; l < d; l++)
                v += vt[l + i * d] * u[j + l * d];
            o[i + j * d] = v;
        }
    return VEM_OK;
}

/* EVE and VVE: common orientation, own shapes (and for VVE own volumes). */
static vem_status common_orientation(int vve, size_t k, size_t d, const double *nk, double n,
                                     const double *w, double *covs, vem__mstate *ms, double *work)
{
    double *ev = work, *vec = ev + k * d, *f = vec + k * d * d, *b = f + d * d;
    double *u = b + d * d, *vt = u + d * d, *sv = vt + d * d, *lam = sv + d, *omega = lam + k;
    double *lw = omega + k;
    const size_t llw = vem__sym_eig_work_len(d);
    double *o = ms->orient, *a = ms->shape;
    vem_status st = eig_all(k, d, w, vec, ev, lw, llw);
    if (st != VEM_OK)
        return st;
    for (size_t c = 0; c < k; c++)
        omega[c] = ev[c * d + d - 1];
    if (!ms->ok) {
        memset(o, 0, d * d * sizeof *o);
        for (size_t j = 0; j < d; j++)
            o[j + j * d] = 1.0;
        for (size_t i = 0; i < k * d; i++)
            a[i] = 1.0;
    }
    double t = 0.0, t_prev = INFINITY;
    size_t it = 0;
    while (it < ms->max_iter) {
        it++;
        /* Step 1: F = sum_k A_k^-1 (O W_k - omega_k O). */
        memset(f, 0, d * d * sizeof *f);
        for (size_t c = 0; c < k; c++) {
            const double *wc = w + c * d * d, *ac = a + c * d;
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double v = 0.0;
                    for (size_t l = 0; l < d; l++)
                        v += o[i + l * d] * wc[l * d + j];
                    f[i + j * d] += (v - omega[c] * o[i + j * d]) / ac[i];
                }
        }
        if ((st = polar_t(d, f, o, u, vt, sv, lw, llw)) != VEM_OK)
            return st;
        /* Step 2: F = sum_k W_k O (A_k^-1 - max_j(1 / a_kj) I). */
        memset(f, 0, d * d * sizeof *f);
        for (size_t c = 0; c < k; c++) {
            const double *wc = w + c * d * d, *ac = a + c * d;
            double amax = 0.0;
            for (size_t j = 0; j < d; j++)
                amax = fmax(amax, 1.0 / ac[j]);
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++) {
                    double v = 0.0;
                    for (size_t l = 0; l < d; l++)
                        v += wc[i * d + l] * o[l + j * d];
                    f[i + j * d] += v * (1.0 / ac[j] - amax);
                }
        }
        if ((st = polar_t(d, f, o, u, vt, sv, lw, llw)) != VEM_OK)
            return st;
        /* Shapes diag(O W_k O^T), normalised; t = sum_k tr(O W_k O^T A_k^-1). */
        t = 0.0;
        for (size_t c = 0; c < k; c++) {
            const double *wc = w + c * d * d;
            double *ac = a + c * d;
            for (size_t j = 0; j < d; j++) {
                double v = 0.0;
                for (size_t l = 0; l < d; l++) {
                    double ow = 0.0;
                    for (size_t m = 0; m < d; m++)
                        ow += o[j + m * d] * wc[m * d + l];
                    v += ow * o[j + l * d];
                }
                b[j] = v;
                ac[j] = vve ? v / nk[c] : v;
            }
            double g = geomean(ac, d, 1);
            if (!(g > 0.0))
                return VEM_FAIL(VEM_ENUMERIC,
                                "M-step: component %zu has a non-positive variance along the "
                                "common orientation",
                                c + 1);
            lam[c] = g;
            for (size_t j = 0; j < d; j++) {
                ac[j] /= g;
                t += b[j] / ac[j];
            }
        }
        if (stop_rule(t, &t_prev, ms->tol))
            break;
    }
    ms->iter = it;
    ms->ok = 1;
    for (size_t c = 0; c < k; c++) {
        const double l = vve ? lam[c] : t / (n * (double)d);
        double *sig = covs + c * d * d;
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double v = 0.0;
                for (size_t m = 0; m < d; m++)
                    v += o[m + i * d] * a[c * d + m] * o[m + j * d];
                sig[i * d + j] = l * v;
                sig[j * d + i] = l * v;
            }
    }
    return VEM_OK;
}

/*
 * VEI and VEV: own volumes, a common shape, over per-component variances v (k x d:
 * diag(W_k) for VEI, the eigenvalues of W_k for VEV): lambda_k = sum_j v_kj / a_j /
 * (d n_k), then a_j = sum_k v_kj / lambda_k normalised to |A| = 1, until the rule.
 */
static vem_status volume_shape(size_t k, size_t d, const double *nk, const double *v,
                               double *a, double *lam, vem__mstate *ms)
{
    double t_prev = INFINITY;
    size_t it = 0;
    while (it < ms->max_iter) {
        it++;
        double t = 0.0;
        for (size_t c = 0; c < k; c++) {
            double s = 0.0;
            for (size_t j = 0; j < d; j++)
                s += v[c * d + j] / a[j];
            lam[c] = s / ((double)d * nk[c]);
            if (!(lam[c] > 0.0) || !isfinite(lam[c]))
                return VEM_FAIL(VEM_ENUMERIC, "M-step: volume of component %zu is %g", c + 1,
                                lam[c]);
            t += nk[c] * log(lam[c]);
        }
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t c = 0; c < k; c++)
                s += v[c * d + j] / lam[c];
            a[j] = s;
        }
        double g = geomean(a, d, 1);
        if (!(g > 0.0))
            return VEM_FAIL(VEM_ENUMERIC, "M-step: the common shape has a zero variance");
        for (size_t j = 0; j < d; j++)
            a[j] /= g;
        if (stop_rule(t, &t_prev, ms->tol))
            break;
    }
    ms->iter = it;
    ms->ok = 1;
    return VEM_OK;
}

vem_status vem__gmm_struct_cov(vem_cov cov, size_t k, size_t d, const double *nk,
                               const double *w, double *covs, vem__mstate *ms, double *work)
{
    double n = 0.0;
    for (size_t c = 0; c < k; c++)
        n += nk[c];
    const double dd = (double)d;
    ms->iter = 0;
    switch ((int)cov) {
    case VEM_COV_EII: {
        double s = 0.0;
        for (size_t i = 0; i < k * d; i++)
            s += w[i];
        for (size_t c = 0; c < k; c++)
            covs[c] = s / (n * dd);
        return VEM_OK;
    }
    case VEM_COV_EEI:
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t c = 0; c < k; c++)
                s += w[c * d + j];
            for (size_t c = 0; c < k; c++)
                covs[c * d + j] = s / n;
        }
        return VEM_OK;
    case VEM_COV_EVI: {
        double *g = work, lam = 0.0;
        for (size_t c = 0; c < k; c++) {
            g[c] = geomean(w + c * d, d, 1);
            if (!(g[c] > 0.0))
                return VEM_FAIL(VEM_ENUMERIC, "M-step: component %zu has a zero variance",
                                c + 1);
            lam += g[c];
        }
        lam /= n;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                covs[c * d + j] = lam * w[c * d + j] / g[c];
        return VEM_OK;
    }
    case VEM_COV_VEI: {
        double *a = ms->shape, *lam = work;
        if (!ms->ok)
            for (size_t j = 0; j < d; j++)
                a[j] = 1.0;
        vem_status st = volume_shape(k, d, nk, w, a, lam, ms);
        if (st != VEM_OK)
            return st;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++)
                covs[c * d + j] = lam[c] * a[j];
        return VEM_OK;
    }
    case VEM_COV_VEE: {
        double *lam = work, *cm = lam + k, *l = cm + d * d, *uu = l + d * d, *p = uu + d * d;
        double *wk = p + d * d;
        for (size_t c = 0; c < k; c++)
            lam[c] = 1.0;
        double t_prev = INFINITY;
        size_t it = 0;
        while (it < ms->max_iter) {
            it++;
            memset(cm, 0, d * d * sizeof *cm);
            for (size_t c = 0; c < k; c++)
                for (size_t i = 0; i < d * d; i++)
                    cm[i] += w[c * d * d + i] / lam[c];
            double g = det_root(d, cm, l);
            if (!(g > 0.0))
                return VEM_FAIL(VEM_ENUMERIC, "M-step: the common shape matrix is singular");
            for (size_t i = 0; i < d * d; i++)
                cm[i] /= g;
            if (vem__precision_cholesky(d, cm, uu, wk) != 0)
                return VEM_FAIL(VEM_ENUMERIC, "M-step: the common shape matrix is singular");
            for (size_t i = 0; i < d; i++) /* P = C^-1 = U U^T, U upper triangular */
                for (size_t j = i; j < d; j++) {
                    double v = 0.0;
                    for (size_t m = j; m < d; m++)
                        v += uu[i * d + m] * uu[j * d + m];
                    p[i * d + j] = v;
                    p[j * d + i] = v;
                }
            double t = 0.0;
            for (size_t c = 0; c < k; c++) {
                double tr = 0.0;
                for (size_t i = 0; i < d * d; i++)
                    tr += w[c * d * d + i] * p[i];
                lam[c] = tr / (dd * nk[c]);
                if (!(lam[c] > 0.0) || !isfinite(lam[c]))
                    return VEM_FAIL(VEM_ENUMERIC, "M-step: volume of component %zu is %g", c + 1,
                                    lam[c]);
                t += nk[c] * log(lam[c]);
            }
            if (stop_rule(t, &t_prev, ms->tol))
                break;
        }
        ms->iter = it;
        for (size_t c = 0; c < k; c++)
            for (size_t i = 0; i < d * d; i++)
                covs[c * d * d + i] = lam[c] * cm[i];
        return VEM_OK;
    }
    case VEM_COV_EEV:
    case VEM_COV_VEV: {
        double *ev = work, *vec = ev + k * d, *lam = vec + k * d * d, *om = lam + k;
        double *s = om + d, *lw = s + d;
        vem_status st = eig_all(k, d, w, vec, ev, lw, vem__sym_eig_work_len(d));
        if (st != VEM_OK)
            return st;
        for (size_t j = 0; j < d; j++) {
            om[j] = 0.0;
            for (size_t c = 0; c < k; c++)
                om[j] += ev[c * d + j];
        }
        if (cov == VEM_COV_EEV) {
            for (size_t j = 0; j < d; j++)
                s[j] = om[j] / n;
            for (size_t c = 0; c < k; c++)
                compose(d, vec + c * d * d, s, covs + c * d * d);
            return VEM_OK;
        }
        double *a = ms->shape;
        if (!ms->ok) {
            double g = geomean(om, d, 1);
            for (size_t j = 0; j < d; j++)
                a[j] = om[j] / g;
        }
        if ((st = volume_shape(k, d, nk, ev, a, lam, ms)) != VEM_OK)
            return st;
        for (size_t c = 0; c < k; c++) {
            for (size_t j = 0; j < d; j++)
                s[j] = lam[c] * a[j];
            compose(d, vec + c * d * d, s, covs + c * d * d);
        }
        return VEM_OK;
    }
    case VEM_COV_EVV: {
        double *g = work, *l = g + k, lam = 0.0;
        for (size_t c = 0; c < k; c++) {
            g[c] = det_root(d, w + c * d * d, l);
            if (!(g[c] > 0.0))
                return VEM_FAIL(VEM_ENUMERIC,
                                "M-step: the scatter matrix of component %zu is singular", c + 1);
            lam += g[c];
        }
        lam /= n;
        for (size_t c = 0; c < k; c++)
            for (size_t i = 0; i < d * d; i++)
                covs[c * d * d + i] = lam * w[c * d * d + i] / g[c];
        return VEM_OK;
    }
    case VEM_COV_EVE:
    case VEM_COV_VVE:
        return common_orientation(cov == VEM_COV_VVE, k, d, nk, n, w, covs, ms, work);
    default:
        break;
    }
    return VEM_FAIL(VEM_EINVAL, "M-step: %s is not a structured covariance model",
                    vem_cov_name(cov) ? vem_cov_name(cov) : "an invalid value");
}
