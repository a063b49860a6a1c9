/*
 * cli/plot_lda.c — pictures of an LDA model (docs/plots.md): `topics`, the top words of
 * each topic as bars of their probability, and `topic-map`, the topics placed by
 * classical multidimensional scaling of their Jensen-Shannon distances, each bubble's
 * area the topic's share of the corpus's tokens (as LDAvis, Sievert & Shirley 2014).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/* A loaded model: its topics E[beta] (k x v) and each topic's share of the tokens. */
typedef struct lda_view {
    vem_lda *l;
    size_t k, v;
    double *beta;  /* k x v */
    double *share; /* k: (sum_w lambda_tw - v eta) / total, the expected tokens of each topic */
} lda_view;

static void lda_view_free(lda_view *m)
{
    vem_lda_free(m->l);
    free(m->beta);
    free(m->share);
    memset(m, 0, sizeof *m);
}

static int lda_view_load(const char *path, lda_view *m)
{
    memset(m, 0, sizeof *m);
    if (!(m->l = vem_lda_load(path)))
        return cli_fail(VEM_EFORMAT, path);
    m->k = vem_lda_k(m->l);
    m->v = vem_lda_v(m->l);
    double *lambda = NULL;
    if (m->v > SIZE_MAX / sizeof(double) / m->k ||
        !(m->beta = malloc(m->k * m->v * sizeof *m->beta)) ||
        !(lambda = malloc(m->k * m->v * sizeof *lambda)) ||
        !(m->share = malloc(m->k * sizeof *m->share))) {
        free(lambda);
        lda_view_free(m);
        return cli_fail(VEM_ENOMEM, path);
    }
    vem_lda_get_topics(m->l, m->beta);
    vem_lda_get_lambda(m->l, lambda);
    /* lambda_tw = eta + the expected count of word w in topic t over the corpus. */
    double total = 0, eta = vem_lda_eta(m->l);
    for (size_t t = 0; t < m->k; t++) {
        double s = 0;
        for (size_t w = 0; w < m->v; w++)
            s += lambda[t * m->v + w] - eta;
        m->share[t] = s > 0 ? s : 0;
        total += m->share[t];
    }
    for (size_t t = 0; t < m->k; t++)
        m->share[t] = total > 0 ? m->share[t] / total : 1.0 / (double)m->k;
    free(lambda);
    return 0;
}

/* Word w's text: the vocabulary's, or "#w". */
static const char *word_of(const lda_view *m, uint32_t w, char *buf, size_t size)
{
    const char *const *vocab = vem_lda_vocab(m->l);
    if (vocab && vocab[w])
        return vocab[w];
    snprintf(buf, size, "#%u", (unsigned)w);
    return buf;
}

int plot_topics(const plot_args *a, json_t *out)
{
    lda_view m;
    int rc = lda_view_load(a->model, &m);
    if (rc != 0)
        return rc;
    const size_t k = m.k, top = a->top < m.v ? a->top : m.v;
    uint32_t *ids = malloc(k * top * sizeof *ids);
    if (!ids) {
        lda_view_free(&m);
        return cli_fail(VEM_ENOMEM, "plot");
    }
    for (size_t t = 0; t < k; t++)
        vem_lda_top_words(m.l, t, top, ids + t * top);
    plot_canvas c;
    if ((rc = plot_open(&c, a, 800, 600)) != 0) {
        free(ids);
        lda_view_free(&m);
        return rc;
    }
    const double f = c.font;
    /* Panels in a grid about as wide as the canvas's shape asks. */
    size_t ncols = (size_t)ceil(sqrt((double)k * c.width / c.height));
    ncols = ncols < 1 ? 1 : ncols > k ? k : ncols;
    const size_t nrows = (k + ncols - 1) / ncols;
    const double ws = 0.8 * f, ts = 0.7 * f;
    double wordw = 0;
    char buf[32];
    for (size_t i = 0; i < k * top; i++) {
        double w = plot_text_width(&c, word_of(&m, ids[i], buf, sizeof buf), ws);
        wordw = w > wordw ? w : wordw;
    }
    char title[160];
    snprintf(title, sizeof title, "top %zu words of %zu topics (share of tokens)", top, k);
    const char *ttl = plot_title_of(a, title);
    plot_title(&c, ttl);
    double top_m = ttl && *ttl ? 2.4 * f : 0.6 * f;
    double cw = (c.width - 0.6 * f) / (double)ncols;
    double ch = (c.height - top_m - 0.4 * f) / (double)nrows;
    json_t *words = json_array();
    for (size_t t = 0; t < k; t++) {
        size_t r = t / ncols, q = t % ncols;
        double cx = 0.3 * f + (double)q * cw, cy = top_m + (double)r * ch;
        /* Each topic on its own scale: its first word's bar 3/4 of the panel. */
        double pt = m.beta[t * m.v + ids[t * top]];
        plot_panel p;
        plot_panel_ranges(&p, 0, pt * 1.33, 0, 1, PLOT_X_EXACT | PLOT_Y_EXACT);
        plot_nice_ticks(0, pt * 1.33, 3, 0, &p.xt);
        p.yt.n = 0;
        p.x0 = cx + wordw + 0.8 * f;
        p.x1 = cx + cw - 0.6 * f;
        p.y0 = cy + 1.5 * f;
        p.y1 = cy + ch - 0.35 * f - ts - 0.6 * f;
        if (p.x1 < p.x0 + 10)
            p.x1 = p.x0 + 10;
        char head[64];
        snprintf(head, sizeof head, "topic %zu (%.0f%%)", t, 100 * m.share[t]);
        plot_rgb(&c, 0x222222);
        plot_text(&c, 0.5 * (p.x0 + p.x1), cy + 0.3 * f, head, 0.5, 0, f, 0);
        plot_axes(&c, &p, NULL, NULL, PLOT_AXIS_X_LABELS, ts);
        json_t *pj = json_array_get(c.panels, json_array_size(c.panels) - 1);
        json_object_set_new(pj, "x_label", json_string("probability"));
        json_object_set_new(pj, "y_label", json_string(head));
        double bh = (p.y1 - p.y0) / (double)top;
        json_t *tw = json_array();
        for (size_t i = 0; i < top; i++) {
            uint32_t w = ids[t * top + i];
            double prob = m.beta[t * m.v + w];
            double y = p.y0 + ((double)i + 0.15) * bh;
            const char *word = word_of(&m, w, buf, sizeof buf);
            plot_rgb(&c, plot_colour(t));
            cairo_rectangle(c.cr, p.x0, y, plot_px(&p, prob) - p.x0, 0.7 * bh);
            cairo_fill(c.cr);
            plot_rgb(&c, 0x222222);
            plot_text(&c, p.x0 - 0.3 * f, y + 0.35 * bh, word, 1, 0.5, ws, 0);
            char num[32];
            snprintf(num, sizeof num, "%.2g", prob);
            plot_text(&c, plot_px(&p, prob) + 0.2 * f, y + 0.35 * bh, num, 0, 0.5, 0.6 * f, 0);
            json_t *e = json_object();
            json_object_set_new(e, "word", json_string(word));
            json_object_set_new(e, "probability", json_real(prob));
            json_array_append_new(tw, e);
        }
        json_array_append_new(words, tw);
    }
    json_t *colours = json_array();
    for (size_t t = 0; t < k; t++) {
        char hex[8];
        json_array_append_new(colours, json_string(plot_hex(plot_colour(t), hex)));
    }
    json_object_set_new(out, "topics", json_integer((json_int_t)k));
    json_object_set_new(out, "top_words", words);
    json_object_set_new(out, "share", cli_json_vector(m.share, k));
    json_object_set_new(out, "colours", colours);
    json_object_set_new(out, "panels", json_deep_copy(c.panels));
    json_object_set_new(out, "width", json_real(c.width));
    json_object_set_new(out, "height", json_real(c.height));
    rc = plot_canvas_close(&c, 0);
    free(ids);
    lda_view_free(&m);
    return rc;
}

int plot_topic_map(const plot_args *a, json_t *out)
{
    lda_view m;
    int rc = lda_view_load(a->model, &m);
    if (rc != 0)
        return rc;
    const size_t k = m.k;
    double *dist = malloc(k * k * sizeof *dist), *xy = malloc(k * 2 * sizeof *xy);
    size_t *order = malloc(k * sizeof *order);
    uint32_t ids[3];
    if (!dist || !xy || !order) {
        rc = cli_fail(VEM_ENOMEM, "plot");
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        dist[i * k + i] = 0;
        for (size_t j = 0; j < i; j++)
            dist[i * k + j] = dist[j * k + i] =
                plot_js_distance(m.beta + i * m.v, m.beta + j * m.v, m.v);
    }
    if (plot_mds(dist, k, xy) != 0) {
        cli_error("plot topic-map: the scaling of %zu topics failed (LAPACK dsyev)", k);
        rc = CLI_EXIT_NUMERIC;
        goto done;
    }
    plot_canvas c;
    if ((rc = plot_open(&c, a, 640, 480)) != 0)
        goto done;
    const double f = c.font;
    /* Keys: each topic's three most probable words (up to 24 topics). */
    plot_key keys[24];
    char labels[24][128];
    size_t nk = k <= 24 ? k : 0;
    char buf[3][32];
    for (size_t t = 0; t < nk; t++) {
        size_t nw = m.v < 3 ? m.v : 3;
        vem_lda_top_words(m.l, t, nw, ids);
        snprintf(labels[t], sizeof labels[0], "%zu: %s %s %s", t,
                 word_of(&m, ids[0], buf[0], sizeof buf[0]),
                 nw > 1 ? word_of(&m, ids[1], buf[1], sizeof buf[1]) : "",
                 nw > 2 ? word_of(&m, ids[2], buf[2], sizeof buf[2]) : "");
        keys[t] = (plot_key){labels[t], plot_colour(t), PLOT_KEY_BOX, -1, 0, 0};
    }
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY, smax = 0;
    for (size_t t = 0; t < k; t++) {
        xmin = xy[2 * t] < xmin ? xy[2 * t] : xmin;
        xmax = xy[2 * t] > xmax ? xy[2 * t] : xmax;
        ymin = xy[2 * t + 1] < ymin ? xy[2 * t + 1] : ymin;
        ymax = xy[2 * t + 1] > ymax ? xy[2 * t + 1] : ymax;
        smax = m.share[t] > smax ? m.share[t] : smax;
    }
    /* Room for the bubbles: a quarter of the larger span on every side (at least 0.1). */
    double span = fmax(fmax(xmax - xmin, ymax - ymin), 0.4);
    plot_panel p;
    plot_panel_ranges(&p, xmin - 0.25 * span, xmax + 0.25 * span, ymin - 0.25 * span,
                      ymax + 0.25 * span, PLOT_X_EXACT | PLOT_Y_EXACT);
    char title[160];
    snprintf(title, sizeof title, "%zu topics by their Jensen-Shannon distances", k);
    plot_single_layout(&c, &p, plot_title_of(a, title),
                       nk ? plot_legend_width(&c, keys, nk, "topic: top words") : 0);
    /* One unit the same length on both axes: the shorter range widened about its centre. */
    double ux = (p.x1 - p.x0) / (p.xhi - p.xlo), uy = (p.y1 - p.y0) / (p.yhi - p.ylo);
    if (ux > uy) {
        double mid = 0.5 * (p.xlo + p.xhi), half = 0.5 * (p.x1 - p.x0) / uy;
        p.xlo = mid - half;
        p.xhi = mid + half;
    } else {
        double mid = 0.5 * (p.ylo + p.yhi), half = 0.5 * (p.y1 - p.y0) / ux;
        p.ylo = mid - half;
        p.yhi = mid + half;
    }
    plot_nice_ticks(p.xlo, p.xhi, 5, 0, &p.xt);
    plot_nice_ticks(p.ylo, p.yhi, 5, 0, &p.yt);
    plot_axes(&c, &p, "MDS 1 (Jensen-Shannon distance)", "MDS 2", PLOT_AXIS_ALL, 0.9 * f);
    plot_clip(&c, &p);
    /* Largest bubbles first, so that the small ones stay visible on top. */
    for (size_t t = 0; t < k; t++)
        order[t] = t;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && m.share[order[j - 1]] < m.share[order[j]]; j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    const double rmax = 0.11 * fmin(p.x1 - p.x0, p.y1 - p.y0);
    json_t *radii = json_array();
    for (size_t i = 0; i < k; i++) {
        size_t t = order[i];
        double r = rmax * sqrt(m.share[t] / smax), x = plot_px(&p, xy[2 * t]),
               y = plot_py(&p, xy[2 * t + 1]);
        plot_marker(&c, x, y, PLOT_CIRCLE, r + 0.12 * f, 0xFFFFFF, 0);
        plot_marker(&c, x, y, PLOT_CIRCLE, r, plot_colour(t), 0);
    }
    for (size_t t = 0; t < k; t++) {
        char num[24];
        snprintf(num, sizeof num, "%zu", t);
        plot_rgb(&c,
                 plot_colour(t) == 0x000000 || plot_colour(t) == 0x0072B2 ? 0xFFFFFF : 0x222222);
        plot_text(&c, plot_px(&p, xy[2 * t]), plot_py(&p, xy[2 * t + 1]), num, 0.5, 0.5, 0.8 * f,
                  0);
        json_array_append_new(radii, json_real(rmax * sqrt(m.share[t] / smax)));
    }
    plot_unclip(&c);
    if (nk)
        plot_legend(&c, p.x1 + f, p.y0, keys, nk, "topic: top words");

    json_t *coords = json_array(), *colours = json_array();
    for (size_t t = 0; t < k; t++) {
        char hex[8];
        json_array_append_new(coords, cli_json_vector(xy + 2 * t, 2));
        json_array_append_new(colours, json_string(plot_hex(plot_colour(t), hex)));
    }
    json_object_set_new(out, "topics", json_integer((json_int_t)k));
    json_object_set_new(out, "coordinates", coords);
    json_object_set_new(out, "distances", cli_json_matrix(dist, k, k));
    json_object_set_new(out, "share", cli_json_vector(m.share, k));
    json_object_set_new(out, "radii", radii);
    json_object_set_new(out, "colours", colours);
    json_object_set_new(out, "panels", json_deep_copy(c.panels));
    json_object_set_new(out, "width", json_real(c.width));
    json_object_set_new(out, "height", json_real(c.height));
    rc = plot_canvas_close(&c, 0);
done:
    free(dist);
    free(xy);
    free(order);
    lda_view_free(&m);
    return rc;
}
