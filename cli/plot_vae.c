/*
 * cli/plot_vae.c — pictures of a variational autoencoder (docs/plots.md, "VAE"): `samples`,
 * a grid of images decoded from draws of the prior; `reconstructions`, DATA's first rows
 * each above its reconstruction; `latent`, the encoder's means of DATA's rows on two
 * latent dimensions, coloured by a label. Images are grey, a value of 0 black and 1 white
 * (values outside [0, 1], a Gaussian decoder's, are clipped), H x W pixels read row by row:
 * square by default (side sqrt(d)), or --image-shape.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/* The distinct labels latent draws: 8 colours times 7 markers. */
#define LATENT_MAX_LABELS (PLOT_N_COLOURS * PLOT_N_MARKERS)

static int vae_load(const char *path, vem_vae **v)
{
    if (!(*v = vem_vae_load(path)))
        return cli_fail(VEM_EFORMAT, path);
    return 0;
}

/* The images' shape: --image-shape HxW (H W = d) or the square of side sqrt(d). */
static int image_shape(const plot_args *a, size_t d, size_t *h, size_t *w)
{
    if (a->image_shape) {
        char *end;
        unsigned long hh = strtoul(a->image_shape, &end, 10), ww = 0;
        if (end != a->image_shape && (*end == 'x' || *end == 'X')) {
            const char *s = end + 1;
            ww = strtoul(s, &end, 10);
            if (end == s || *end)
                ww = 0;
        }
        if (hh == 0 || ww == 0 || a->image_shape[0] == '-') {
            cli_error("--image-shape: expected HxW (e.g. 28x28), got '%s'", a->image_shape);
            return CLI_EXIT_USAGE;
        }
        if ((size_t)hh * ww != d) {
            cli_error("--image-shape %s: %lu x %lu = %lu pixels; the model's rows have %zu",
                      a->image_shape, hh, ww, hh * ww, d);
            return CLI_EXIT_USAGE;
        }
        *h = hh;
        *w = ww;
        return 0;
    }
    size_t s = (size_t)floor(sqrt((double)d) + 0.5);
    if (s * s != d) {
        cli_error("plot %s: the model's rows have %zu columns, not a square number of pixels; "
                  "give the images' shape (--image-shape HxW)",
                  a->kind, d);
        return CLI_EXIT_USAGE;
    }
    *h = *w = s;
    return 0;
}

/* The grid of n images (unit rows each: 1, or 2 for pairs) with the largest tiles. */
typedef struct grid {
    size_t ncols, nblocks, unit;
    double side, gap, x0, y0; /* a tile's side, the gap between tiles, the top left corner */
} grid;

static void grid_layout(grid *g, size_t n, size_t unit, size_t h, size_t w, double x0, double y0,
                        double width, double height, int png)
{
    memset(g, 0, sizeof *g);
    g->unit = unit;
    double aspect = (double)w / (double)h;
    for (size_t nc = 1; nc <= n; nc++) {
        size_t nb = (n + nc - 1) / nc, rows = nb * unit;
        /* A gap of a tenth of a tile between tiles, twice that between blocks of pairs. */
        double gx = width / ((double)nc + 0.1 * (double)(nc - 1));
        double gy = height / ((double)rows + 0.1 * (double)(rows - 1) +
                              (unit > 1 ? 0.1 * (double)(nb - 1) : 0));
        double side = fmin(gx / aspect, gy);
        if (side > g->side) {
            g->side = side;
            g->ncols = nc;
            g->nblocks = nb;
        }
    }
    if (png && g->side >= (double)h) /* whole pixels per image pixel: sharp tiles */
        g->side = floor(g->side / (double)h) * (double)h;
    g->gap = fmax(1, 0.1 * g->side);
    if (png)
        g->gap = ceil(g->gap);
    double tw = g->side * aspect;
    size_t rows = g->nblocks * unit;
    double used_w = (double)g->ncols * tw + (double)(g->ncols - 1) * g->gap;
    double used_h = (double)rows * g->side + (double)(rows - 1) * g->gap +
                    (unit > 1 ? (double)(g->nblocks - 1) * g->gap : 0);
    g->x0 = x0 + 0.5 * (width - used_w);
    g->y0 = y0 + 0.5 * (height - used_h);
    if (png) {
        g->x0 = floor(g->x0);
        g->y0 = floor(g->y0);
    }
}

/* Tile i (0-based) of part (0: above, 1: below) of the grid: its top left corner. */
static void grid_tile(const grid *g, size_t w, size_t h, size_t i, size_t part, double *x,
                      double *y)
{
    size_t b = i / g->ncols, q = i % g->ncols;
    double tw = g->side * (double)w / (double)h;
    *x = g->x0 + (double)q * (tw + g->gap);
    *y = g->y0 + (double)(b * g->unit + part) * (g->side + g->gap) +
         (g->unit > 1 ? (double)b * g->gap : 0);
}

/* One h x w image (values row by row) drawn into the box at (x, y) of height side. */
static int draw_image(plot_canvas *c, const double *img, size_t h, size_t w, double x, double y,
                      double side)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (size_t r = 0; r < h; r++) {
        uint32_t *row = (uint32_t *)(void *)(px + (size_t)stride * r);
        for (size_t j = 0; j < w; j++) {
            double v = img[r * w + j];
            v = v > 0 ? v < 1 ? v : 1 : 0; /* NaN: black */
            uint32_t g = (uint32_t)lround(255 * v);
            row[j] = (g << 16) | (g << 8) | g;
        }
    }
    cairo_surface_mark_dirty(s);
    cairo_save(c->cr);
    cairo_translate(c->cr, x, y);
    cairo_scale(c->cr, side / (double)h, side / (double)h);
    cairo_set_source_surface(c->cr, s, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(c->cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(c->cr, 0, 0, (double)w, (double)h);
    cairo_fill(c->cr);
    cairo_restore(c->cr);
    cairo_surface_destroy(s);
    return 0;
}

/*
 * The grid of n images (parts 1 or 2: imgs[p] n x h w each) on the canvas below the title;
 * the tiles' boxes into out's "tiles" (part after part) and the layout into "grid".
 */
static int draw_grid(plot_canvas *c, const plot_args *a, const char *title,
                     const double *const *imgs, size_t parts, size_t n, size_t h, size_t w,
                     json_t *out)
{
    const double f = c->font;
    const char *ttl = plot_title_of(a, title);
    plot_title(c, ttl);
    double top = ttl && *ttl ? 2.4 * f : 0.6 * f;
    grid g;
    grid_layout(&g, n, parts, h, w, 0.6 * f, top, c->width - 1.2 * f, c->height - top - 0.6 * f,
                c->format == PLOT_PNG);
    json_t *tiles = json_array();
    double tw = g.side * (double)w / (double)h;
    for (size_t p = 0; p < parts; p++)
        for (size_t i = 0; i < n; i++) {
            double x, y;
            grid_tile(&g, w, h, i, p, &x, &y);
            if (draw_image(c, imgs[p] + i * h * w, h, w, x, y, g.side) != 0) {
                json_decref(tiles);
                return cli_fail(VEM_ENOMEM, "plot");
            }
            double box[4] = {x, y, x + tw, y + g.side};
            json_array_append_new(tiles, cli_json_vector(box, 4));
        }
    json_t *gj = json_object();
    json_object_set_new(gj, "columns", json_integer((json_int_t)g.ncols));
    json_object_set_new(gj, "rows", json_integer((json_int_t)(g.nblocks * parts)));
    json_object_set_new(gj, "tile", json_real(g.side));
    json_object_set_new(gj, "gap", json_real(g.gap));
    json_object_set_new(out, "grid", gj);
    json_object_set_new(out, "tiles", tiles);
    json_object_set_new(out, "image_shape", json_pack("[I,I]", (json_int_t)h, (json_int_t)w));
    return 0;
}

static void finish_json(plot_canvas *c, json_t *out)
{
    json_object_set_new(out, "panels", json_deep_copy(c->panels));
    json_object_set_new(out, "width", json_real(c->width));
    json_object_set_new(out, "height", json_real(c->height));
}

int plot_samples(const plot_args *a, json_t *out)
{
    vem_vae *v;
    int rc = vae_load(a->model, &v);
    if (rc != 0)
        return rc;
    const size_t d = vem_vae_d(v), n = a->n ? a->n : 16;
    size_t h, w;
    double *x = NULL;
    if ((rc = image_shape(a, d, &h, &w)) != 0)
        goto done;
    if (n > 4096) {
        cli_error("plot samples: --n %zu: at most 4096 images", n);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!(x = malloc(n * d * sizeof *x))) {
        rc = cli_fail(VEM_ENOMEM, "plot");
        goto done;
    }
    vem_rng rng;
    vem_rng_seed(&rng, a->seed);
    vem_status s = vem_vae_sample(v, n, &rng, x);
    if (s != VEM_OK) {
        rc = cli_fail(s, "plot samples");
        goto done;
    }
    plot_canvas c;
    if ((rc = plot_open(&c, a, 640, 480)) != 0)
        goto done;
    char title[160];
    snprintf(title, sizeof title, "%zu images decoded from the prior (seed %llu)", n,
             (unsigned long long)a->seed);
    const double *imgs[1] = {x};
    rc = draw_grid(&c, a, title, imgs, 1, n, h, w, out);
    json_object_set_new(out, "n", json_integer((json_int_t)n));
    json_object_set_new(out, "seed", json_integer((json_int_t)a->seed));
    finish_json(&c, out);
    int crc = plot_canvas_close(&c, rc != 0);
    rc = rc ? rc : crc;
done:
    free(x);
    vem_vae_free(v);
    return rc;
}

/* Read DATA (all its columns), --scale applied to every column but skip (SIZE_MAX: none). */
static int read_rows(const plot_args *a, const char *path, vem_table *t, size_t skip)
{
    cli_data_opts o;
    cli_data_opts_init(&o);
    int rc = cli_read_data(path, &o, NULL, 0, t);
    if (rc != 0)
        return rc;
    if (t->rows == 0) {
        cli_error("%s: no rows", path);
        return CLI_EXIT_INPUT;
    }
    if (a->scale > 0)
        for (size_t i = 0; i < t->rows * t->cols; i++)
            if (i % t->cols != skip)
                t->data[i] /= a->scale;
    return 0;
}

/* t's columns less `skip` must be the model's d; CLI_EXIT_INPUT (reported) when not. */
static int check_cols(const plot_args *a, const vem_table *t, size_t skip, size_t d)
{
    size_t cols = t->cols - (skip < t->cols);
    if (cols == d)
        return 0;
    cli_error("plot %s: %s has %zu columns%s; the model's rows have %zu", a->kind, a->data, cols,
              skip < t->cols ? " besides the label" : "", d);
    return CLI_EXIT_INPUT;
}

int plot_reconstructions(const plot_args *a, json_t *out)
{
    vem_vae *v;
    int rc = vae_load(a->model, &v);
    if (rc != 0)
        return rc;
    const size_t d = vem_vae_d(v);
    size_t h, w, n = a->n ? a->n : 10;
    vem_table t = {0};
    double *r = NULL;
    if ((rc = image_shape(a, d, &h, &w)) != 0)
        goto done;
    if (!a->data) {
        cli_error("plot reconstructions: missing DATA (plot reconstructions takes MODEL DATA)");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (n > 4096) {
        cli_error("plot reconstructions: --n %zu: at most 4096 rows", n);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = read_rows(a, a->data, &t, SIZE_MAX)) != 0 ||
        (rc = check_cols(a, &t, SIZE_MAX, d)) != 0)
        goto done;
    n = n < t.rows ? n : t.rows;
    if (!(r = malloc(n * d * sizeof *r))) {
        rc = cli_fail(VEM_ENOMEM, "plot");
        goto done;
    }
    vem_matrix x = vem_matrix_view(t.data, n, d);
    vem_status s = vem_vae_reconstruct(v, &x, r);
    if (s != VEM_OK) {
        rc = cli_fail(s, a->data);
        goto done;
    }
    plot_canvas c;
    if ((rc = plot_open(&c, a, 640, 480)) != 0)
        goto done;
    char title[160];
    snprintf(title, sizeof title, "%zu rows (above) and their reconstructions (below)", n);
    const double *imgs[2] = {t.data, r};
    rc = draw_grid(&c, a, title, imgs, 2, n, h, w, out);
    double err = 0;
    for (size_t i = 0; i < n * d; i++)
        err += (t.data[i] - r[i]) * (t.data[i] - r[i]);
    json_object_set_new(out, "n", json_integer((json_int_t)n));
    json_object_set_new(out, "mean_squared_error", json_real(err / (double)(n * d)));
    finish_json(&c, out);
    int crc = plot_canvas_close(&c, rc != 0);
    rc = rc ? rc : crc;
done:
    free(r);
    vem_table_clear(&t);
    vem_vae_free(v);
    return rc;
}

/* Column spec (a name or a 1-based number) of t, or SIZE_MAX (reported: its columns). */
static size_t find_column(const vem_table *t, const char *spec, const char *path)
{
    for (size_t j = 0; j < t->cols; j++)
        if (t->names && t->names[j] && strcmp(t->names[j], spec) == 0)
            return j;
    if (spec[0] && strspn(spec, "0123456789") == strlen(spec)) {
        size_t v = (size_t)strtoul(spec, NULL, 10);
        if (v >= 1 && v <= t->cols)
            return v - 1;
    }
    char all[512] = "", buf[32];
    size_t j = 0;
    for (; j < t->cols && strlen(all) < sizeof all - 48; j++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", j ? ", " : "",
                 cli_column_label((const char *const *)t->names, j, buf, sizeof buf));
    if (j < t->cols)
        snprintf(all + strlen(all), sizeof all - strlen(all), ", ... (%zu in all)", t->cols);
    cli_error("--label-column: no column '%s' in %s (its columns: %s)", spec, path, all);
    return SIZE_MAX;
}

static int cmp_double(const void *x, const void *y)
{
    double p = *(const double *)x, q = *(const double *)y;
    return (p > q) - (p < q);
}

int plot_latent(const plot_args *a, json_t *out)
{
    vem_vae *v;
    int rc = vae_load(a->model, &v);
    if (rc != 0)
        return rc;
    const size_t d = vem_vae_d(v), k = vem_vae_latent(v);
    vem_table t = {0}, lt = {0};
    double *x = NULL, *mu = NULL, *sd = NULL, *lab = NULL, *levels = NULL;
    size_t *cls = NULL, nl = 0, di[2] = {0, 1}, skip = SIZE_MAX;
    if (!a->data) {
        cli_error("plot latent: missing DATA (plot latent takes MODEL DATA)");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (a->dims) {
        char *end;
        unsigned long i = strtoul(a->dims, &end, 10), j = 0;
        if (*end == ',') {
            const char *s = end + 1;
            j = strtoul(s, &end, 10);
            if (end == s)
                j = 0;
        }
        if (*end || i == 0 || j == 0 || a->dims[0] == '-' || i == j || i > k || j > k) {
            cli_error("--dims: expected two different latent dimensions I,J between 1 and %zu, "
                      "got '%s'",
                      k, a->dims);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        di[0] = i - 1;
        di[1] = j - 1;
    } else if (k < 2) {
        cli_error("plot latent: the model has %zu latent dimension; this plot draws two", k);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = read_rows(a, a->data, &t, SIZE_MAX)) != 0)
        goto done;
    if (a->label_column && !a->labels) {
        if ((skip = find_column(&t, a->label_column, a->data)) == SIZE_MAX) {
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (a->scale > 0) /* the label as read */
            for (size_t i = 0; i < t.rows; i++)
                t.data[i * t.cols + skip] *= a->scale;
    }
    if ((rc = check_cols(a, &t, skip, d)) != 0)
        goto done;
    const size_t n = a->n && a->n < t.rows ? a->n : t.rows;
    if (!(x = malloc(n * d * sizeof *x)) || !(mu = malloc(n * k * sizeof *mu)) ||
        !(sd = malloc(n * k * sizeof *sd)) || !(lab = malloc(n * sizeof *lab)) ||
        !(levels = malloc(n * sizeof *levels)) || !(cls = malloc(n * sizeof *cls))) {
        rc = cli_fail(VEM_ENOMEM, "plot");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t q = 0;
        for (size_t j = 0; j < t.cols; j++)
            if (j != skip)
                x[i * d + q++] = t.data[i * t.cols + j];
        lab[i] = skip != SIZE_MAX ? t.data[i * t.cols + skip] : 0;
    }
    if (a->labels) {
        cli_data_opts o;
        cli_data_opts_init(&o);
        if ((rc = cli_read_data(a->labels, &o, NULL, 0, &lt)) != 0)
            goto done;
        size_t lc = 0;
        if (a->label_column) {
            if ((lc = find_column(&lt, a->label_column, a->labels)) == SIZE_MAX) {
                rc = CLI_EXIT_USAGE;
                goto done;
            }
        } else if (lt.cols != 1) {
            cli_error("--labels %s: %zu columns; name the label's (--label-column C)", a->labels,
                      lt.cols);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        if (lt.rows < n) {
            cli_error("--labels %s: %zu labels for %zu rows of %s", a->labels, lt.rows, n,
                      a->data);
            rc = CLI_EXIT_INPUT;
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            lab[i] = lt.data[i * lt.cols + lc];
    }
    const int labelled = a->labels || a->label_column;
    /* The distinct labels, in increasing order; each row's class among them. */
    memcpy(levels, lab, n * sizeof *levels);
    qsort(levels, n, sizeof *levels, cmp_double);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || levels[i] != levels[nl - 1])
            levels[nl++] = levels[i];
    if (nl > LATENT_MAX_LABELS) {
        cli_error("plot latent: %zu distinct labels; at most %d can be told apart (8 colours "
                  "times 7 markers): is the label column a label?",
                  nl, LATENT_MAX_LABELS);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        double *p = bsearch(&lab[i], levels, nl, sizeof *levels, cmp_double);
        cls[i] = p ? (size_t)(p - levels) : 0;
    }
    vem_matrix xm = vem_matrix_view(x, n, d);
    vem_status s = vem_vae_encode(v, &xm, mu, sd);
    if (s != VEM_OK) {
        rc = cli_fail(s, a->data);
        goto done;
    }
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double zx = mu[i * k + di[0]], zy = mu[i * k + di[1]];
        xmin = fmin(xmin, zx);
        xmax = fmax(xmax, zx);
        ymin = fmin(ymin, zy);
        ymax = fmax(ymax, zy);
    }
    plot_canvas c;
    if ((rc = plot_open(&c, a, 640, 480)) != 0)
        goto done;
    const double f = c.font;
    /* Label l: colour l mod 8, marker l / 8 (the ninth label a square in the first colour). */
    plot_key keys[LATENT_MAX_LABELS];
    char names[LATENT_MAX_LABELS][48];
    size_t *count = calloc(nl, sizeof *count);
    for (size_t i = 0; count && i < n; i++)
        count[cls[i]]++;
    for (size_t l = 0; labelled && l < nl; l++) {
        char num[32];
        snprintf(names[l], sizeof names[0], "%s (%zu)", plot_number(levels[l], num, sizeof num),
                 count ? count[l] : 0);
        keys[l] = (plot_key){names[l], plot_colour(l), PLOT_KEY_POINT,
                             (int)(l / PLOT_N_COLOURS), 0, 0};
    }
    char xn[32], yn[32], title[160];
    snprintf(xn, sizeof xn, "z%zu", di[0] + 1);
    snprintf(yn, sizeof yn, "z%zu", di[1] + 1);
    snprintf(title, sizeof title, "encoder means of %zu rows%s%s", n,
             labelled ? " by " : "",
             labelled ? a->label_column ? a->label_column : "label" : "");
    const char *heading = a->label_column ? a->label_column : "label";
    plot_panel p;
    plot_panel_ranges(&p, xmin, xmax, ymin, ymax, 0);
    plot_single_layout(&c, &p, plot_title_of(a, title),
                       labelled ? plot_legend_width(&c, keys, nl, heading) : 0);
    plot_axes(&c, &p, xn, yn, PLOT_AXIS_ALL, 0.9 * f);
    plot_clip(&c, &p);
    const double r = n > 2000 ? 0.16 * f : n > 500 ? 0.22 * f : 0.3 * f;
    for (size_t i = 0; i < n; i++)
        plot_marker(&c, plot_px(&p, mu[i * k + di[0]]), plot_py(&p, mu[i * k + di[1]]),
                    (int)(cls[i] / PLOT_N_COLOURS), r, plot_colour(cls[i]), 0);
    plot_unclip(&c);
    if (labelled)
        plot_legend(&c, p.x1 + f, p.y0, keys, nl, heading);
    json_t *colours = json_array(), *labels = json_array(), *counts = json_array();
    for (size_t l = 0; l < nl; l++) {
        char hex[8];
        json_array_append_new(colours, json_string(plot_hex(plot_colour(l), hex)));
        json_array_append_new(labels, json_real(levels[l]));
        json_array_append_new(counts, json_integer(count ? (json_int_t)count[l] : 0));
    }
    free(count);
    json_object_set_new(out, "n", json_integer((json_int_t)n));
    json_object_set_new(out, "dims", json_pack("[I,I]", (json_int_t)di[0] + 1,
                                               (json_int_t)di[1] + 1));
    json_object_set_new(out, "labels", labelled ? labels : json_null());
    if (!labelled)
        json_decref(labels);
    json_object_set_new(out, "label_counts", counts);
    json_object_set_new(out, "colours", colours);
    finish_json(&c, out);
    rc = plot_canvas_close(&c, 0);
done:
    free(x);
    free(mu);
    free(sd);
    free(lab);
    free(levels);
    free(cls);
    vem_table_clear(&t);
    vem_table_clear(&lt);
    vem_vae_free(v);
    return rc;
}
