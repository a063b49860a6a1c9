/*
 * cli/plot_hmm.c — `vem plot states`: a series in stacked panels (one per column) over
 * bands of its Viterbi state path, each state's mean drawn over its stretches
 * (docs/plots.md). HMMs and variational HMMs (through their plug-in HMM) with numeric
 * emissions: gaussian, gmm (the mixture's mean) and poisson (the rate).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hmm_common.h"
#include "plot.h"

/* Each state's mean of each of the d features into mean (k x d); 0, or -1 when the
 * emissions have none (categorical, multinomial). */
static int state_means(const vem_hmm *h, double *mean)
{
    const size_t k = vem_hmm_k(h), d = vem_hmm_dim(h);
    switch (vem_hmm_emission_type(h)) {
    case VEM_HMM_GAUSSIAN: memcpy(mean, vem_hmm_means(h), k * d * sizeof *mean); return 0;
    case VEM_HMM_POISSON: memcpy(mean, vem_hmm_lambdas(h), k * d * sizeof *mean); return 0;
    case VEM_HMM_GMM:
        for (size_t s = 0; s < k; s++) {
            const vem_gmm *g = vem_hmm_state_mixture(h, s);
            const double *w = vem_gmm_weights(g), *mu = vem_gmm_means(g);
            for (size_t j = 0; j < d; j++) {
                double v = 0;
                for (size_t q = 0; q < vem_gmm_k(g); q++)
                    v += w[q] * mu[q * d + j];
                mean[s * d + j] = v;
            }
        }
        return 0;
    default: return -1;
    }
}

int plot_states(const plot_args *a, json_t *out)
{
    char kind[32];
    vem_status s = vem_model_file_kind(a->model, kind, sizeof kind);
    if (s != VEM_OK)
        return cli_fail(s, a->model);
    vem_hmm *h = NULL;
    vem_vbhmm *v = NULL;
    cli_hmm_model desc;
    if (strcmp(kind, "vbhmm") == 0) {
        if (!(v = vem_vbhmm_load(a->model)))
            return cli_fail(VEM_EFORMAT, a->model);
        if (!(h = vem_vbhmm_to_hmm(v))) {
            vem_vbhmm_free(v);
            return cli_fail(VEM_ENOMEM, a->model);
        }
        desc = (cli_hmm_model){.em = vem_vbhmm_emission_type(v),
                               .k = vem_vbhmm_k(v),
                               .dim = vem_vbhmm_dim(v),
                               .columns = vem_vbhmm_columns(v),
                               .symbols = vem_vbhmm_symbols(v),
                               .symbol_column = vem_vbhmm_symbol_column(v)};
    } else {
        if (!(h = vem_hmm_load(a->model)))
            return cli_fail(VEM_EFORMAT, a->model);
        desc = (cli_hmm_model){.em = vem_hmm_emission_type(h),
                               .k = vem_hmm_k(h),
                               .dim = vem_hmm_dim(h),
                               .columns = vem_hmm_columns(h),
                               .symbols = vem_hmm_symbols(h),
                               .symbol_column = vem_hmm_symbol_column(h),
                               .n_trials = vem_hmm_n_trials(h)};
    }
    const size_t k = desc.k, d = desc.dim;
    int rc = 0, canvas_open = 0;
    vem_frames in;
    memset(&in, 0, sizeof in);
    double *mean = NULL;
    size_t *z = NULL, idx[64], ncol = 0, *counts = NULL;
    plot_canvas c;
    if (desc.em == VEM_HMM_CATEGORICAL || desc.em == VEM_HMM_MULTINOMIAL) {
        cli_error("plot states: %s has %s emissions; states draws numeric columns (gaussian, "
                  "gmm or poisson emissions)",
                  a->model, vem_hmm_emission_name(desc.em));
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a->data) {
        cli_error("plot states: missing DATA: the series to decode and draw");
        rc = cli_usage_error("plot");
        goto done;
    }
    if ((rc = plot_columns(a->columns, desc.columns, d, 0, 64, idx, &ncol)) != 0)
        goto done;
    cli_data_opts dopts;
    cli_data_opts_init(&dopts);
    if ((rc = cli_hmm_read(a->data, &dopts, &desc, NULL, NULL, &in)) != 0)
        goto done;
    const size_t n = in.rows;
    mean = malloc(k * d * sizeof *mean);
    z = malloc(n * sizeof *z);
    counts = calloc(k, sizeof *counts);
    if (!mean || !z || !counts) {
        rc = cli_fail(VEM_ENOMEM, "plot");
        goto done;
    }
    state_means(h, mean);
    const vem_matrix x = vem_frames_matrix(&in);
    double logp = 0;
    if ((s = vem_hmm_decode(h, &x, cli_hmm_seqs(&in), z, &logp)) != VEM_OK) {
        rc = cli_fail(s, a->data);
        goto done;
    }
    size_t runs = 0;
    for (size_t t = 0; t < n; t++) {
        counts[z[t]]++;
        runs += t == 0 || z[t] != z[t - 1];
    }

    if ((rc = plot_open(&c, a, 640, ncol > 2 ? 160.0 * (double)ncol : 480)) != 0)
        goto done;
    canvas_open = 1;
    const double f = c.font, ts = 0.9 * f, gap = 0.6 * f;
    plot_key keys[64];
    char labels[64][40];
    size_t nk = k < 64 ? k : 64;
    for (size_t q = 0; q < nk; q++) {
        snprintf(labels[q], sizeof labels[0], "%zu (%.0f%%)", q,
                 100.0 * (double)counts[q] / (double)n);
        keys[q] = (plot_key){labels[q], plot_colour(q), PLOT_KEY_BOX, -1, 0, 0};
    }
    double legend_w = plot_legend_width(&c, keys, nk, "state");
    plot_panel ps[64];
    double ytw = 0;
    for (size_t i = 0; i < ncol; i++) {
        const size_t j = idx[i];
        double lo = INFINITY, hi = -INFINITY;
        for (size_t t = 0; t < n; t++) {
            double y = in.data[t * in.cols + j];
            lo = y < lo ? y : lo;
            hi = y > hi ? y : hi;
        }
        for (size_t q = 0; q < k; q++) {
            lo = mean[q * d + j] < lo ? mean[q * d + j] : lo;
            hi = mean[q * d + j] > hi ? mean[q * d + j] : hi;
        }
        plot_panel_ranges(&ps[i], -0.5, (double)n - 0.5, lo, hi, PLOT_X_EXACT | PLOT_X_INTEGER);
        plot_nice_ticks(ps[i].ylo, ps[i].yhi, ncol > 2 ? 4 : 5, 0, &ps[i].yt);
        double w = plot_ytick_width(&c, &ps[i], ts);
        ytw = w > ytw ? w : ytw;
    }
    char title[160];
    snprintf(title, sizeof title, "Viterbi states of %s: K = %zu, %zu stretches", kind, k, runs);
    const char *ttl = plot_title_of(a, title);
    plot_title(&c, ttl);
    double top = ttl && *ttl ? 2.6 * f : f;
    double left = 0.5 * f + f + 0.45 * f + ytw + 0.6 * f;
    double bottom = 0.6 * f + ts + 0.45 * f + f + 0.5 * f;
    double right = legend_w + 1.5 * f;
    double ph = (c.height - top - bottom - gap * (double)(ncol - 1)) / (double)ncol;
    char name[32];
    for (size_t i = 0; i < ncol; i++) {
        plot_panel *p = &ps[i];
        const size_t j = idx[i];
        p->x0 = left;
        p->x1 = c.width - right;
        p->y0 = top + (double)i * (ph + gap);
        p->y1 = p->y0 + ph;
        /* The bands first, under the grid. */
        plot_clip(&c, p);
        for (size_t t0 = 0; t0 < n;) {
            size_t t1 = t0 + 1;
            while (t1 < n && z[t1] == z[t0])
                t1++;
            double xa = plot_px(p, (double)t0 - 0.5), xb = plot_px(p, (double)t1 - 0.5);
            plot_rgb(&c, plot_tint(plot_colour(z[t0]), 0.3));
            cairo_rectangle(c.cr, xa, p->y0, xb - xa, p->y1 - p->y0);
            cairo_fill(c.cr);
            t0 = t1;
        }
        plot_unclip(&c);
        plot_axes(&c, p, i == ncol - 1 ? "frame (row of DATA)" : NULL,
                  plot_column_name(desc.columns, j, name, sizeof name),
                  PLOT_AXIS_Y_LABELS | (i == ncol - 1 ? PLOT_AXIS_X_LABELS : 0), ts);
        plot_clip(&c, p);
        plot_rgb(&c, 0x444444);
        cairo_set_line_width(c.cr, 0.07 * f);
        for (size_t t = 0; t < n; t++)
            (t ? cairo_line_to : cairo_move_to)(c.cr, plot_px(p, (double)t),
                                                plot_py(p, in.data[t * in.cols + j]));
        cairo_stroke(c.cr);
        cairo_set_line_width(c.cr, 0.24 * f);
        cairo_set_line_cap(c.cr, CAIRO_LINE_CAP_BUTT);
        for (size_t t0 = 0; t0 < n;) {
            size_t t1 = t0 + 1;
            while (t1 < n && z[t1] == z[t0])
                t1++;
            double y = plot_py(p, mean[z[t0] * d + j]);
            plot_rgb(&c, plot_colour(z[t0]));
            cairo_move_to(c.cr, plot_px(p, (double)t0 - 0.5), y);
            cairo_line_to(c.cr, plot_px(p, (double)t1 - 0.5), y);
            cairo_stroke(c.cr);
            t0 = t1;
        }
        plot_unclip(&c);
    }
    plot_legend(&c, c.width - right + f, top, keys, nk, "state");

    json_t *cols = json_array(), *cnt = json_array(), *colours = json_array(),
           *means = json_array();
    for (size_t i = 0; i < ncol; i++)
        json_array_append_new(
            cols, json_string(plot_column_name(desc.columns, idx[i], name, sizeof name)));
    for (size_t q = 0; q < k; q++) {
        char hex[8];
        json_array_append_new(cnt, json_integer((json_int_t)counts[q]));
        json_array_append_new(colours, json_string(plot_hex(plot_colour(q), hex)));
        json_array_append_new(means, cli_json_vector(mean + q * d, d));
    }
    json_object_set_new(out, "columns", cols);
    json_object_set_new(out, "states", json_integer((json_int_t)k));
    json_object_set_new(out, "state_counts", cnt);
    json_object_set_new(out, "state_means", means);
    json_object_set_new(out, "colours", colours);
    json_object_set_new(out, "n_frames", json_integer((json_int_t)n));
    json_object_set_new(out, "stretches", json_integer((json_int_t)runs));
    json_object_set_new(out, "log_probability", cli_json_real(logp));
    json_object_set_new(out, "panels", json_deep_copy(c.panels));
    json_object_set_new(out, "width", json_real(c.width));
    json_object_set_new(out, "height", json_real(c.height));
done:
    if (canvas_open) {
        int crc = plot_canvas_close(&c, rc != 0);
        rc = rc ? rc : crc;
    }
    free(mean);
    free(z);
    free(counts);
    vem_frames_clear(&in);
    vem_hmm_free(h);
    vem_vbhmm_free(v);
    return rc;
}
