/*
 * cli/plot_mix.c — pictures of Gaussian mixtures (gmm, vbgmm): classification,
 * uncertainty and density on a pair of columns or every pair, and the BIC of a model
 * selection (docs/plots.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/* What the pictures need of a mixture: weights, means and full covariances. */
typedef struct mixture {
    const char *kind;
    vem_gmm *g;
    vem_vbgmm *v;
    size_t k, d;
    const double *w, *mu; /* borrowed from g or v */
    double *cov;          /* k x d x d, expanded from the model's layout */
    const char *const *cols;
    const char *cov_name;
} mixture;

static void mixture_free(mixture *m)
{
    vem_gmm_free(m->g);
    vem_vbgmm_free(m->v);
    free(m->cov);
    memset(m, 0, sizeof *m);
}

/* Load the mixture of path (kind from the file): 0, or an exit status (reported). */
static int mixture_load(const char *path, mixture *m)
{
    memset(m, 0, sizeof *m);
    char kind[32];
    vem_status s = vem_model_file_kind(path, kind, sizeof kind);
    if (s != VEM_OK)
        return cli_fail(s, path);
    const double *c;
    vem_cov cov;
    if (strcmp(kind, "vbgmm") == 0) {
        m->kind = "vbgmm";
        if (!(m->v = vem_vbgmm_load(path)))
            return cli_fail(VEM_EFORMAT, path);
        m->k = vem_vbgmm_k(m->v);
        m->d = vem_vbgmm_d(m->v);
        m->w = vem_vbgmm_weights(m->v);
        m->mu = vem_vbgmm_means(m->v);
        m->cols = vem_vbgmm_columns(m->v);
        c = vem_vbgmm_covariances(m->v);
        cov = vem_vbgmm_cov(m->v);
    } else {
        m->kind = "gmm";
        if (!(m->g = cli_load_gmm(path)))
            return CLI_EXIT_INPUT;
        m->k = vem_gmm_k(m->g);
        m->d = vem_gmm_d(m->g);
        m->w = vem_gmm_weights(m->g);
        m->mu = vem_gmm_means(m->g);
        m->cols = vem_gmm_columns(m->g);
        c = vem_gmm_covariances(m->g);
        cov = vem_gmm_cov(m->g);
    }
    m->cov_name = vem_cov_mclust_name(cov);
    size_t k = m->k, d = m->d;
    if (d > 4096 || k > 4096 || !(m->cov = calloc(k * d * d, sizeof *m->cov))) {
        mixture_free(m);
        return cli_fail(VEM_ENOMEM, path);
    }
    vem_cov lay = vem_cov_layout(cov);
    for (size_t q = 0; q < k; q++)
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double v = 0;
                if (lay == VEM_COV_FULL)
                    v = c[(q * d + i) * d + j];
                else if (lay == VEM_COV_TIED)
                    v = c[i * d + j];
                else if (i == j)
                    v = lay == VEM_COV_DIAG ? c[q * d + i] : c[q];
                m->cov[(q * d + i) * d + j] = v;
            }
    return 0;
}

/* Whether component q is drawn (ellipses, means, legend): every component of an EM fit;
 * of a variational one those with an expected count N_k >= 1, as
 * vem_vbgmm_effective_components counts them (the others hold the prior only). */
static int comp_used(const mixture *m, size_t q)
{
    return !m->v || vem_vbgmm_counts(m->v)[q] >= 1;
}

/* Component q's marginal covariance on columns a and b. */
static void cov2(const mixture *m, size_t q, size_t a, size_t b, double s[4])
{
    const double *c = m->cov + q * m->d * m->d;
    s[0] = c[a * m->d + a];
    s[1] = s[2] = c[a * m->d + b];
    s[3] = c[b * m->d + b];
}

/* The mixture's marginal density at (x, y) on columns a, b. */
static double density2(const mixture *m, size_t a, size_t b, double x, double y)
{
    double f = 0, p[2] = {x, y}, s[4];
    for (size_t q = 0; q < m->k; q++) {
        double mu[2] = {m->mu[q * m->d + a], m->mu[q * m->d + b]};
        cov2(m, q, a, b, s);
        f += m->w[q] * plot_normal2(p, mu, s);
    }
    return f;
}

/* ---- the three pictures on pairs of columns ---- */

enum { MIX_CLASSIFICATION, MIX_UNCERTAINTY, MIX_DENSITY };

/* Highest-density regions holding these shares of the rows (density, with DATA), or these
 * fractions of the peak (without). */
static const double hdr_mass[] = {0.25, 0.50, 0.75, 0.90, 0.95, 0.99};
static const double peak_frac[] = {0.9, 0.7, 0.5, 0.3, 0.1};
#define N_LEVELS 6

/* Everything the panels of one picture share. */
typedef struct mix_plot {
    plot_canvas *c;
    const mixture *m;
    int what;
    const double *x; /* n x d rows of DATA, or NULL */
    size_t n;
    const size_t *label;     /* most probable component of each row */
    const double *unc;       /* 1 - max responsibility */
    const size_t *order;     /* rows in the order drawn */
    double point_r;          /* the points' radius */
    double lw;               /* the lines' width */
    double levels[N_LEVELS]; /* density: contour levels (panel's, set per panel) */
    size_t n_levels;
    json_t *level_json; /* density: the levels of the first panel */
} mix_plot;

typedef struct seg_ctx {
    plot_canvas *c;
    const plot_panel *p;
} seg_ctx;

static void draw_segment(void *ctx, double x0, double y0, double x1, double y1)
{
    const seg_ctx *s = ctx;
    cairo_move_to(s->c->cr, plot_px(s->p, x0), plot_py(s->p, y0));
    cairo_line_to(s->c->cr, plot_px(s->p, x1), plot_py(s->p, y1));
}

/* The grey of contour i of n: the outer (lower) levels lighter. */
static unsigned level_grey(size_t i, size_t n)
{
    unsigned g = (unsigned)lround(190 - 160.0 * (double)i / (double)(n > 1 ? n - 1 : 1));
    return g << 16 | g << 8 | g;
}

/* Density panel: the grid, its levels, the contours. */
static void draw_contours(mix_plot *mp, const plot_panel *p, size_t a, size_t b)
{
    enum { NX = 121, NY = 121 };
    double *f = malloc(NX * NY * sizeof *f), xs[NX], ys[NY];
    if (!f)
        return;
    for (size_t i = 0; i < NX; i++)
        xs[i] = p->xlo + (p->xhi - p->xlo) * (double)i / (NX - 1);
    for (size_t j = 0; j < NY; j++)
        ys[j] = p->ylo + (p->yhi - p->ylo) * (double)j / (NY - 1);
    double peak = 0;
    for (size_t j = 0; j < NY; j++)
        for (size_t i = 0; i < NX; i++) {
            f[j * NX + i] = density2(mp->m, a, b, xs[i], ys[j]);
            peak = f[j * NX + i] > peak ? f[j * NX + i] : peak;
        }
    /* Levels, lowest (outermost) first. */
    mp->n_levels = 0;
    if (mp->x) {
        double *fx = malloc(mp->n * sizeof *fx);
        if (fx) {
            for (size_t r = 0; r < mp->n; r++)
                fx[r] = density2(mp->m, a, b, mp->x[r * mp->m->d + a], mp->x[r * mp->m->d + b]);
            for (size_t l = N_LEVELS; l-- > 0;)
                mp->levels[mp->n_levels++] = plot_quantile(fx, mp->n, 1 - hdr_mass[l]);
            free(fx);
        }
    } else {
        for (size_t l = sizeof peak_frac / sizeof *peak_frac; l-- > 0;)
            mp->levels[mp->n_levels++] = peak_frac[l] * peak;
    }
    if (mp->level_json == NULL) {
        mp->level_json = json_array();
        for (size_t l = 0; l < mp->n_levels; l++)
            json_array_append_new(mp->level_json, json_real(mp->levels[l]));
    }
    seg_ctx s = {mp->c, p};
    cairo_set_line_width(mp->c->cr, mp->lw);
    for (size_t l = 0; l < mp->n_levels; l++) {
        plot_rgb(mp->c, level_grey(l, mp->n_levels));
        plot_contour(f, NX, NY, xs, ys, mp->levels[l], draw_segment, &s);
        cairo_stroke(mp->c->cr);
    }
    free(f);
}

/* One panel of the pair (a, b): its data drawn inside p's frame (axes drawn by the caller). */
static void draw_pair(mix_plot *mp, const plot_panel *p, size_t a, size_t b)
{
    plot_canvas *c = mp->c;
    cairo_t *cr = c->cr;
    const mixture *m = mp->m;
    const size_t d = m->d;
    plot_clip(c, p);
    if (mp->what == MIX_DENSITY) {
        for (size_t r = 0; mp->x && r < mp->n; r++)
            plot_marker(c, plot_px(p, mp->x[r * d + a]), plot_py(p, mp->x[r * d + b]), PLOT_CIRCLE,
                        0.6 * mp->point_r, 0xC8C8C8, 0);
        draw_contours(mp, p, a, b);
        for (size_t q = 0; q < m->k; q++) {
            if (!comp_used(m, q))
                continue;
            double x = plot_px(p, m->mu[q * d + a]), y = plot_py(p, m->mu[q * d + b]);
            plot_marker(c, x, y, PLOT_CIRCLE, 1.6 * mp->point_r, 0xFFFFFF, 0);
            plot_marker(c, x, y, PLOT_CIRCLE, 1.25 * mp->point_r, plot_colour(q), 0);
        }
        plot_unclip(c);
        return;
    }
    for (size_t i = 0; i < mp->n; i++) {
        size_t r = mp->order[i];
        double x = plot_px(p, mp->x[r * d + a]), y = plot_py(p, mp->x[r * d + b]);
        double rad = mp->point_r;
        if (mp->what == MIX_UNCERTAINTY) {
            /* Area proportional to the uncertainty, up to its largest possible 1 - 1/K. */
            double top = m->k > 1 ? 1 - 1.0 / (double)m->k : 1;
            rad = mp->point_r * (0.5 + 3.5 * sqrt(mp->unc[r] / top));
            plot_marker(c, x, y, PLOT_CIRCLE, rad + 0.8, 0xFFFFFF, 0);
        }
        plot_marker(c, x, y, PLOT_CIRCLE, rad, plot_colour(mp->label[r]), 0);
    }
    /* Ellipses at 1 (solid) and 2 (dashed) standard deviations, and the means. */
    enum { NE = 96 };
    double xy[2 * NE], s[4];
    const double dash[2] = {3 * mp->lw, 2 * mp->lw};
    for (size_t q = 0; q < m->k; q++) {
        if (!comp_used(m, q))
            continue;
        const double mu[2] = {m->mu[q * d + a], m->mu[q * d + b]};
        cov2(m, q, a, b, s);
        for (int r = 1; r <= 2; r++) {
            if (plot_ellipse(mu, s, r, NE, xy) != 0)
                continue;
            for (size_t i = 0; i < NE; i++)
                (i ? cairo_line_to : cairo_move_to)(cr, plot_px(p, xy[2 * i]),
                                                    plot_py(p, xy[2 * i + 1]));
            cairo_close_path(cr);
            plot_rgb(c, 0xFFFFFF);
            cairo_set_line_width(cr, 2.2 * mp->lw);
            cairo_set_dash(cr, r == 2 ? dash : NULL, r == 2 ? 2 : 0, 0);
            cairo_stroke_preserve(cr);
            plot_rgb(c, plot_colour(q));
            cairo_set_line_width(cr, mp->lw);
            cairo_stroke(cr);
        }
        cairo_set_dash(cr, NULL, 0, 0);
        plot_marker(c, plot_px(p, mu[0]), plot_py(p, mu[1]), PLOT_PLUS, 1.6 * mp->point_r, 0x222222,
                    0);
    }
    plot_unclip(c);
}

/* Data range of column j (rows of DATA), or the means +- 3 standard deviations. */
static void column_range(const mix_plot *mp, size_t j, double *lo, double *hi)
{
    const mixture *m = mp->m;
    *lo = INFINITY;
    *hi = -INFINITY;
    if (mp->x) {
        for (size_t r = 0; r < mp->n; r++) {
            double v = mp->x[r * m->d + j];
            *lo = v < *lo ? v : *lo;
            *hi = v > *hi ? v : *hi;
        }
        return;
    }
    for (size_t q = 0; q < m->k; q++) {
        double mu = m->mu[q * m->d + j], sd = sqrt(m->cov[(q * m->d + j) * m->d + j]);
        *lo = mu - 3 * sd < *lo ? mu - 3 * sd : *lo;
        *hi = mu + 3 * sd > *hi ? mu + 3 * sd : *hi;
    }
}

/* The legend's keys: the components (and for density the contours). */
static size_t mix_keys(const mix_plot *mp, plot_key *keys, char (*labels)[48])
{
    size_t n = 0;
    for (size_t q = 0; q < mp->m->k && n < 40; q++) {
        if (!comp_used(mp->m, q))
            continue;
        snprintf(labels[n], 48, "%zu (%.0f%%)", q, 100 * mp->m->w[q]);
        keys[n] = (plot_key){labels[n], plot_colour(q), PLOT_KEY_POINT, PLOT_CIRCLE, 0, 0};
        n++;
    }
    return n;
}

static int mixture_plot(const plot_args *a, json_t *out, int what)
{
    static const char *const names[] = {"classification", "uncertainty", "density"};
    mixture m;
    int rc = mixture_load(a->model, &m);
    if (rc != 0)
        return rc;
    vem_table t;
    memset(&t, 0, sizeof t);
    double *proba = NULL, *unc = NULL;
    size_t *label = NULL, *order = NULL;
    plot_canvas c;
    int canvas_open = 0;
    mix_plot mp;
    memset(&mp, 0, sizeof mp);
    size_t idx[64], ncol = 0;
    if (m.d < 2) {
        cli_error("plot %s: %s has one column; the pictures of a mixture need two", a->kind,
                  a->model);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = plot_columns(a->columns, m.cols, m.d, a->pairs ? 0 : 2, 64, idx, &ncol)) != 0)
        goto done;
    if (a->pairs && ncol < 2) {
        cli_error("--pairs: give at least two columns");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a->data && what != MIX_DENSITY) {
        cli_error("plot %s: missing DATA: the rows to draw (those the model was fitted to, "
                  "or new ones)",
                  a->kind);
        rc = cli_usage_error("plot");
        goto done;
    }
    if (a->data) {
        cli_data_opts dopts;
        cli_data_opts_init(&dopts);
        if ((rc = cli_read_data(a->data, &dopts, m.cols, m.d, &t)) != 0)
            goto done;
        const size_t n = t.rows, k = m.k;
        proba = malloc(n * k * sizeof *proba);
        unc = malloc(n * sizeof *unc);
        label = malloc(n * sizeof *label);
        order = malloc(n * sizeof *order);
        if (!proba || !unc || !label || !order) {
            rc = cli_fail(VEM_ENOMEM, "plot");
            goto done;
        }
        vem_matrix x = vem_table_matrix(&t);
        vem_status s =
            m.g ? vem_gmm_predict_proba(m.g, &x, proba) : vem_vbgmm_predict_proba(m.v, &x, proba);
        if (s != VEM_OK) {
            rc = cli_fail(s, a->data);
            goto done;
        }
        for (size_t r = 0; r < n; r++) {
            size_t best = 0;
            for (size_t q = 1; q < k; q++)
                if (proba[r * k + q] > proba[r * k + best])
                    best = q;
            label[r] = best;
            unc[r] = 1 - proba[r * k + best];
            order[r] = r;
        }
        if (what == MIX_UNCERTAINTY) {
            /* The most uncertain drawn last, on top: insertion order by uncertainty. */
            for (size_t i = 1; i < n; i++) {
                size_t v = order[i], j = i;
                while (j > 0 && unc[order[j - 1]] > unc[v]) {
                    order[j] = order[j - 1];
                    j--;
                }
                order[j] = v;
            }
        }
        mp.x = t.data;
        mp.n = n;
    }
    mp.m = &m;
    mp.what = what;
    mp.label = label;
    mp.unc = unc;
    mp.order = order;

    double defsize = a->pairs ? 720 : 640;
    if ((rc = plot_open(&c, a, defsize, a->pairs ? 720 : 480)) != 0)
        goto done;
    canvas_open = 1;
    mp.c = &c;
    const double f = c.font;
    mp.point_r = a->pairs ? 0.2 * f : 0.3 * f;
    mp.lw = a->pairs ? 0.1 * f : 0.14 * f;

    char title[256];
    snprintf(title, sizeof title, "%s: %s, K = %zu (%s)", names[what],
             m.g ? "Gaussian mixture" : "variational Gaussian mixture", m.k,
             m.cov_name ? m.cov_name : "?");
    const char *ttl = plot_title_of(a, title);
    plot_key keys[48];
    char labels[48][48];
    size_t nk = mix_keys(&mp, keys, labels);
    const char *heading = what == MIX_DENSITY ? "means" : "component";
    if (what == MIX_DENSITY) {
        /* The contours' keys after the components'. */
        size_t nl = mp.x ? N_LEVELS : sizeof peak_frac / sizeof *peak_frac;
        for (size_t l = 0; l < nl && nk < 48; l++, nk++) {
            if (mp.x)
                snprintf(labels[nk], 48, "%.0f%% of rows", 100 * hdr_mass[l]);
            else
                snprintf(labels[nk], 48, "%.0f%% of peak", 100 * peak_frac[l]);
            keys[nk] = (plot_key){labels[nk], level_grey(nl - 1 - l, nl), PLOT_KEY_LINE, -1, 0, 0};
        }
    }
    double legend_w = plot_legend_width(&c, keys, nk, heading);
    char xn[32], yn[32];

    if (!a->pairs) {
        size_t ia = idx[0], ib = idx[1];
        double xlo, xhi, ylo, yhi;
        column_range(&mp, ia, &xlo, &xhi);
        column_range(&mp, ib, &ylo, &yhi);
        plot_panel p;
        plot_panel_ranges(&p, xlo, xhi, ylo, yhi, 0);
        plot_single_layout(&c, &p, ttl, legend_w);
        plot_axes(&c, &p, plot_column_name(m.cols, ia, xn, sizeof xn),
                  plot_column_name(m.cols, ib, yn, sizeof yn), PLOT_AXIS_ALL, 0.9 * f);
        draw_pair(&mp, &p, ia, ib);
        plot_legend(&c, p.x1 + 1.0 * f, p.y0, keys, nk, heading);
        json_t *ell = json_array();
        for (size_t q = 0; q < m.k; q++) {
            double s[4];
            cov2(&m, q, ia, ib, s);
            json_t *e = json_array();
            json_array_append_new(e, json_real(m.mu[q * m.d + ia]));
            json_array_append_new(e, json_real(m.mu[q * m.d + ib]));
            json_array_append_new(e, json_real(s[0]));
            json_array_append_new(e, json_real(s[1]));
            json_array_append_new(e, json_real(s[3]));
            json_array_append_new(ell, e);
        }
        json_object_set_new(out, "ellipses", ell);
    } else {
        /* A matrix of panels: row i shows column i up, column j across; the diagonal
         * names the column. */
        const size_t np = ncol;
        const double s = 0.75 * f, gap = 0.35 * f;
        double left = 0.6 * f, ytw = 0, ytw_right = 0;
        plot_panel *ps = calloc(np * np, sizeof *ps);
        if (!ps) {
            rc = cli_fail(VEM_ENOMEM, "plot");
            goto done;
        }
        double lo[64], hi[64];
        for (size_t i = 0; i < np; i++)
            column_range(&mp, idx[i], &lo[i], &hi[i]);
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < np; j++) {
                plot_panel *p = &ps[i * np + j];
                plot_panel_ranges(p, lo[j], hi[j], lo[i], hi[i], 0);
                plot_nice_ticks(p->xlo, p->xhi, 3, 0, &p->xt);
                plot_nice_ticks(p->ylo, p->yhi, 4, 0, &p->yt);
                double w = plot_ytick_width(&c, p, s);
                if (j == 0 && i > 0)
                    ytw = w > ytw ? w : ytw;
                if (i == 0 && j == np - 1)
                    ytw_right = w;
            }
        /* As R's pairs(): each column's values under the bottom row, but the last
         * column's above the top row; each row's left of the first column, but the top
         * row's right of the last column (the diagonal panels name the columns). */
        left += ytw + 0.6 * f;
        double title_h = ttl && *ttl ? 2.3 * f : 0.4 * f;
        double top = title_h + 0.35 * f + 0.25 * f + s + 0.2 * f;
        double bottom = 0.6 * f + s + 0.8 * f;
        double right = legend_w + 1.8 * f + ytw_right + 0.6 * f;
        double pw = (c.width - left - right - gap * (double)(np - 1)) / (double)np;
        double ph = (c.height - top - bottom - gap * (double)(np - 1)) / (double)np;
        plot_title(&c, ttl);
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < np; j++) {
                plot_panel *p = &ps[i * np + j];
                p->x0 = left + (double)j * (pw + gap);
                p->x1 = p->x0 + pw;
                p->y0 = top + (double)i * (ph + gap);
                p->y1 = p->y0 + ph;
                if (i == j) {
                    plot_rgb(&c, 0x555555);
                    cairo_set_line_width(c.cr, f / 12);
                    cairo_rectangle(c.cr, p->x0, p->y0, pw, ph);
                    cairo_stroke(c.cr);
                    plot_rgb(&c, 0x222222);
                    const char *nm = plot_column_name(m.cols, idx[i], xn, sizeof xn);
                    double tw = plot_text_width(&c, nm, f), fs = f;
                    if (tw > 0.9 * pw)
                        fs = f * 0.9 * pw / tw;
                    plot_text(&c, 0.5 * (p->x0 + p->x1), 0.5 * (p->y0 + p->y1), nm, 0.5, 0.5, fs,
                              0);
                    continue;
                }
                unsigned show = (i == np - 1 ? PLOT_AXIS_X_LABELS : 0) |
                                (i == 0 && j == np - 1 ? PLOT_AXIS_X_TOP | PLOT_AXIS_Y_RIGHT : 0) |
                                (j == 0 ? PLOT_AXIS_Y_LABELS : 0);
                plot_axes(&c, p, NULL, NULL, show, s);
                /* The panel's names, for --json's description. */
                json_t *pj = json_array_get(c.panels, json_array_size(c.panels) - 1);
                json_object_set_new(pj, "x_label",
                                    json_string(plot_column_name(m.cols, idx[j], xn, sizeof xn)));
                json_object_set_new(pj, "y_label",
                                    json_string(plot_column_name(m.cols, idx[i], yn, sizeof yn)));
                draw_pair(&mp, p, idx[j], idx[i]);
            }
        plot_legend(&c, c.width - legend_w - 0.8 * f, top, keys, nk, heading);
        free(ps);
    }

    /* What --json reports. */
    json_t *cols = json_array(), *colours = json_array(), *counts = json_array();
    for (size_t i = 0; i < ncol; i++)
        json_array_append_new(cols, json_string(plot_column_name(m.cols, idx[i], xn, sizeof xn)));
    for (size_t q = 0; q < m.k; q++) {
        char hex[8];
        json_array_append_new(colours, json_string(plot_hex(plot_colour(q), hex)));
        size_t cnt = 0;
        for (size_t r = 0; label && r < mp.n; r++)
            cnt += label[r] == q;
        json_array_append_new(counts, json_integer((json_int_t)cnt));
    }
    json_object_set_new(out, "columns", cols);
    json_object_set_new(out, "components", json_integer((json_int_t)m.k));
    json_t *drawn = json_array();
    for (size_t q = 0; q < m.k; q++)
        if (comp_used(&m, q))
            json_array_append_new(drawn, json_integer((json_int_t)q));
    json_object_set_new(out, "drawn", drawn);
    json_object_set_new(out, "colours", colours);
    json_object_set_new(out, "n_rows", json_integer((json_int_t)mp.n));
    if (mp.x)
        json_object_set_new(out, "counts", counts);
    else
        json_decref(counts);
    if (what == MIX_UNCERTAINTY) {
        double mx = 0, mean = 0;
        for (size_t r = 0; r < mp.n; r++) {
            mx = unc[r] > mx ? unc[r] : mx;
            mean += unc[r] / (double)mp.n;
        }
        json_object_set_new(out, "uncertainty_max", json_real(mx));
        json_object_set_new(out, "uncertainty_mean", json_real(mean));
    }
    if (what == MIX_DENSITY) {
        json_object_set_new(out, "levels", mp.level_json ? mp.level_json : json_array());
        mp.level_json = NULL;
        json_t *mass = json_array();
        for (size_t l = mp.x ? N_LEVELS : 0; l-- > 0;)
            json_array_append_new(mass, json_real(hdr_mass[l]));
        json_object_set_new(out, "level_mass", mass);
    }
    json_object_set_new(out, "panels", json_deep_copy(c.panels));
    json_object_set_new(out, "width", json_real(c.width));
    json_object_set_new(out, "height", json_real(c.height));
done:
    json_decref(mp.level_json);
    if (canvas_open) {
        int crc = plot_canvas_close(&c, rc != 0);
        rc = rc ? rc : crc;
    }
    free(proba);
    free(unc);
    free(label);
    free(order);
    vem_table_clear(&t);
    mixture_free(&m);
    return rc;
}

int plot_classification(const plot_args *a, json_t *out)
{
    return mixture_plot(a, out, MIX_CLASSIFICATION);
}

int plot_uncertainty(const plot_args *a, json_t *out)
{
    return mixture_plot(a, out, MIX_UNCERTAINTY);
}

int plot_density(const plot_args *a, json_t *out)
{
    return mixture_plot(a, out, MIX_DENSITY);
}

/* ---- bic: a selection's table ---- */

/* One line of the BIC plot: a covariance structure's cells, by K. */
typedef struct bic_line {
    char name[16];
    size_t n;
    double k[64], bic[64];
} bic_line;

int plot_bic(const plot_args *a, json_t *out)
{
    json_error_t err;
    json_t *j = json_load_file(a->model, 0, &err);
    if (!j) {
        cli_error("%s:%d:%d: %s", a->model, err.line, err.column, err.text);
        return CLI_EXIT_INPUT;
    }
    json_t *sel = json_object_get(j, "selection");
    if (!json_is_array(sel) || json_array_size(sel) == 0) {
        cli_error("plot bic: %s holds no model selection (\"selection\"): make one with vem fit "
                  "gmm DATA -k 1-9 --covariance all --json > FIT.json",
                  a->model);
        json_decref(j);
        return CLI_EXIT_INPUT;
    }
    bic_line *lines = calloc(VEM_COV_COUNT + 2, sizeof *lines);
    size_t nl = 0, cells = 0;
    double best = INFINITY, best_k = 0, ymin = INFINITY, ymax = -INFINITY, kmin = INFINITY,
           kmax = -INFINITY;
    const char *best_name = "";
    int rc = 0;
    if (!lines) {
        json_decref(j);
        return cli_fail(VEM_ENOMEM, "plot");
    }
    size_t i;
    json_t *cell;
    json_array_foreach(sel, i, cell)
    {
        json_t *jk = json_object_get(cell, "k"), *jb = json_object_get(cell, "bic");
        const char *name = json_string_value(json_object_get(cell, "mclust"));
        if (!name)
            name = json_string_value(json_object_get(cell, "covariance"));
        if (!name)
            name = json_string_value(json_object_get(j, "model"));
        if (!name)
            name = "model";
        if (!json_is_number(jk) || !json_is_number(jb))
            continue; /* a cell that failed: no BIC */
        size_t l = 0;
        while (l < nl && strcmp(lines[l].name, name) != 0)
            l++;
        if (l == nl) {
            if (nl == VEM_COV_COUNT + 2)
                continue;
            snprintf(lines[nl++].name, sizeof lines[0].name, "%s", name);
        }
        bic_line *bl = &lines[l];
        if (bl->n == 64)
            continue;
        double k = json_number_value(jk), b = json_number_value(jb);
        bl->k[bl->n] = k;
        bl->bic[bl->n++] = b;
        cells++;
        ymin = b < ymin ? b : ymin;
        ymax = b > ymax ? b : ymax;
        kmin = k < kmin ? k : kmin;
        kmax = k > kmax ? k : kmax;
        if (b < best) {
            best = b;
            best_k = k;
            best_name = bl->name;
        }
    }
    if (cells == 0) {
        cli_error("plot bic: %s: no cell of the selection has a BIC", a->model);
        free(lines);
        json_decref(j);
        return CLI_EXIT_INPUT;
    }
    plot_canvas c;
    if ((rc = plot_open(&c, a, 640, 480)) != 0) {
        free(lines);
        json_decref(j);
        return rc;
    }
    const double f = c.font;
    plot_key keys[VEM_COV_COUNT + 2];
    for (size_t l = 0; l < nl; l++)
        keys[l] = (plot_key){lines[l].name, plot_colour(l % 7), PLOT_KEY_LINE, (int)(l % 7), l >= 7,
                             l >= 7};
    plot_panel p;
    plot_panel_ranges(&p, kmin, kmax, ymin, ymax, PLOT_X_INTEGER);
    char title[160];
    snprintf(title, sizeof title, "BIC: best %s with K = %.0f", best_name, best_k);
    plot_single_layout(&c, &p, plot_title_of(a, title), plot_legend_width(&c, keys, nl, "model"));
    const char *mk = json_string_value(json_object_get(j, "model"));
    int states = mk && (strcmp(mk, "hmm") == 0 || strcmp(mk, "vbhmm") == 0);
    plot_axes(&c, &p, states ? "number of states K" : "number of components K",
              "BIC (lower is better)", PLOT_AXIS_ALL, 0.9 * f);
    plot_clip(&c, &p);
    const double dash[2] = {0.45 * f, 0.25 * f};
    for (size_t l = 0; l < nl; l++) {
        bic_line *bl = &lines[l];
        /* Cells by K (a selection lists them by K already; sorted to be sure). */
        for (size_t u = 1; u < bl->n; u++)
            for (size_t v = u; v > 0 && bl->k[v - 1] > bl->k[v]; v--) {
                double tk = bl->k[v], tb = bl->bic[v];
                bl->k[v] = bl->k[v - 1];
                bl->bic[v] = bl->bic[v - 1];
                bl->k[v - 1] = tk;
                bl->bic[v - 1] = tb;
            }
        plot_rgb(&c, keys[l].rgb);
        cairo_set_line_width(c.cr, f / 7);
        cairo_set_dash(c.cr, l >= 7 ? dash : NULL, l >= 7 ? 2 : 0, 0);
        for (size_t u = 0; u < bl->n; u++)
            (u ? cairo_line_to : cairo_move_to)(c.cr, plot_px(&p, bl->k[u]),
                                                plot_py(&p, bl->bic[u]));
        cairo_stroke(c.cr);
        cairo_set_dash(c.cr, NULL, 0, 0);
        for (size_t u = 0; u < bl->n; u++)
            plot_marker(&c, plot_px(&p, bl->k[u]), plot_py(&p, bl->bic[u]), keys[l].marker, 0.3 * f,
                        keys[l].rgb, keys[l].open);
    }
    plot_marker(&c, plot_px(&p, best_k), plot_py(&p, best), PLOT_CIRCLE, 0.75 * f, 0x222222, 1);
    plot_unclip(&c);
    plot_legend(&c, p.x1 + f, p.y0, keys, nl, "model");

    json_t *names = json_array();
    for (size_t l = 0; l < nl; l++)
        json_array_append_new(names, json_string(lines[l].name));
    json_t *b = json_object();
    json_object_set_new(b, "k", json_integer((json_int_t)best_k));
    json_object_set_new(b, "covariance", json_string(best_name));
    json_object_set_new(b, "bic", json_real(best));
    json_t *jm = json_object_get(j, "model");
    json_object_set(out, "model", json_is_string(jm) ? jm : json_null());
    json_object_set_new(out, "structures", names);
    json_object_set_new(out, "cells", json_integer((json_int_t)cells));
    json_object_set_new(out, "best", b);
    json_object_set_new(out, "panels", json_deep_copy(c.panels));
    json_object_set_new(out, "width", json_real(c.width));
    json_object_set_new(out, "height", json_real(c.height));
    rc = plot_canvas_close(&c, 0);
    free(lines);
    json_decref(j);
    return rc;
}
