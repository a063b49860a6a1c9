/*
 * cli/plot_fit.c — `vem plot trace`: the objective per observation at each iteration of a
 * fit, from its model file or --json output (the kept restart's trace) or its --trace CSV
 * (every restart of every fit the command ran), decreases marked (docs/plots.md).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/* One line: a restart of one fit. */
typedef struct trace_line {
    char label[96];
    size_t restart;
    size_t n, cap;
    double *x, *y;
    unsigned char *viol;
} trace_line;

typedef struct trace_set {
    trace_line *l;
    size_t n, cap;
    char model[32];
} trace_set;

static void trace_set_clear(trace_set *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->l[i].x);
        free(t->l[i].y);
        free(t->l[i].viol);
    }
    free(t->l);
    memset(t, 0, sizeof *t);
}

/* The line of (label, restart), made when new; NULL when out of memory. */
static trace_line *trace_line_of(trace_set *t, const char *label, size_t restart)
{
    for (size_t i = t->n; i-- > 0;)
        if (t->l[i].restart == restart && strcmp(t->l[i].label, label) == 0)
            return &t->l[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        trace_line *l = realloc(t->l, cap * sizeof *l);
        if (!l)
            return NULL;
        t->l = l;
        t->cap = cap;
    }
    trace_line *l = &t->l[t->n++];
    memset(l, 0, sizeof *l);
    snprintf(l->label, sizeof l->label, "%s", label);
    l->restart = restart;
    return l;
}

static int trace_add(trace_line *l, double x, double y, int viol)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        double *nx = realloc(l->x, cap * sizeof *nx);
        if (nx)
            l->x = nx;
        double *ny = realloc(l->y, cap * sizeof *ny);
        if (ny)
            l->y = ny;
        unsigned char *nv = realloc(l->viol, cap);
        if (nv)
            l->viol = nv;
        if (!nx || !ny || !nv)
            return -1;
        l->cap = cap;
    }
    l->x[l->n] = x;
    l->y[l->n] = y;
    l->viol[l->n++] = (unsigned char)(viol != 0);
    return 0;
}

/*
 * The trace of a model file: its "fit" record's "trace" (src/io/jsonfile.c: the kept
 * restart's iterations, their total objective and the iterations where it fell), per
 * observation by the record's count (n_rows, n_samples, n_frames or n_tokens). 0 or an
 * exit status (reported).
 */
static int read_model_trace(const char *path, json_t *j, trace_set *t)
{
    json_t *fit = json_object_get(j, "fit"), *tr = json_object_get(fit, "trace");
    json_t *it = json_object_get(tr, "iter"), *ob = json_object_get(tr, "objective");
    json_t *vi = json_object_get(tr, "violations");
    if (!json_is_array(it) || !json_is_array(ob) || json_array_size(it) != json_array_size(ob)) {
        cli_error("plot trace: %s is a model file without its fit's trace (written by an "
                  "older vem, or by a program that set no fit): plot the fit's --json "
                  "output or its --trace CSV",
                  path);
        return CLI_EXIT_INPUT;
    }
    static const char *const counts[] = {"n_rows", "n_samples", "n_frames", "n_tokens"};
    double n = 1.0;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        json_t *jn = json_object_get(fit, counts[c]);
        if (json_is_number(jn) && json_number_value(jn) > 0)
            n = json_number_value(jn);
    }
    const char *model = json_string_value(json_object_get(j, "model"));
    snprintf(t->model, sizeof t->model, "%s", model ? model : "");
    trace_line *l = trace_line_of(t, "", 0);
    for (size_t i = 0; i < json_array_size(it); i++) {
        json_t *x = json_array_get(it, i), *y = json_array_get(ob, i);
        if (!json_is_number(x) || !json_is_number(y))
            continue;
        int viol = 0;
        for (size_t v = 0; json_is_array(vi) && v < json_array_size(vi); v++)
            viol |= json_is_integer(json_array_get(vi, v)) &&
                    json_integer_value(json_array_get(vi, v)) == json_integer_value(x);
        if (!l || trace_add(l, json_number_value(x), json_number_value(y) / n, viol) != 0)
            return cli_fail(VEM_ENOMEM, "plot");
    }
    return 0;
}

/* The trace of a fit's --json output: the kept restart. 0 or an exit status (reported). */
static int read_json_trace(const char *path, trace_set *t)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j) {
        cli_error("%s:%d:%d: %s", path, err.line, err.column, err.text);
        return CLI_EXIT_INPUT;
    }
    int rc = 0;
    const char *fmt = json_string_value(json_object_get(j, "format"));
    json_t *tr = json_object_get(j, "trace");
    if (fmt && strcmp(fmt, "vem-model") == 0) {
        rc = read_model_trace(path, j, t);
    } else if (!json_is_array(tr)) {
        cli_error("plot trace: %s holds no \"trace\": plot a fit's --json output or its "
                  "--trace CSV",
                  path);
        rc = CLI_EXIT_INPUT;
    } else {
        json_t *jn = json_object_get(j, "n_obs");
        double n_obs = json_is_number(jn) && json_number_value(jn) > 0 ? json_number_value(jn) : 1;
        json_t *jb = json_object_get(j, "best_init");
        size_t best = json_is_integer(jb) ? (size_t)json_integer_value(jb) : 0;
        snprintf(t->model, sizeof t->model, "%s",
                 json_string_value(json_object_get(j, "model"))
                     ? json_string_value(json_object_get(j, "model"))
                     : "");
        trace_line *l = trace_line_of(t, "", best);
        size_t i;
        json_t *e;
        json_array_foreach(tr, i, e)
        {
            json_t *st = json_object_get(e, "step");
            if (json_is_integer(st) && json_integer_value(st) != 0)
                continue; /* online fits: the passes' ends only */
            json_t *it = json_object_get(e, "iter"), *ob = json_object_get(e, "objective");
            if (!json_is_number(it) || !json_is_number(ob))
                continue;
            if (!l || trace_add(l, json_number_value(it), json_number_value(ob) / n_obs,
                                json_is_true(json_object_get(e, "violation"))) != 0) {
                rc = cli_fail(VEM_ENOMEM, "plot");
                break;
            }
        }
    }
    json_decref(j);
    return rc;
}

/* The trace of a --trace CSV (read as text by the library's reader: its FILE:LINE:COL
 * messages): every restart of every fit. 0 or an exit status (reported). */
static int read_csv_trace(const char *path, trace_set *t)
{
    vem_text_table tt;
    vem_status st = vem_text_table_read(path, NULL, 0, &tt);
    if (st != VEM_OK)
        return cli_fail(st, path);
    enum { LABEL, RESTART, ITER, STEP, OBJ, VIOL, NCOL };
    static const char *const want[NCOL] = {"label", "restart",           "iter",
                                           "step",  "objective_per_obs", "violation"};
    size_t col[NCOL];
    for (int c = 0; c < NCOL; c++) {
        col[c] = SIZE_MAX;
        for (size_t i = 0; i < tt.cols; i++)
            if (strcmp(tt.names[i], want[c]) == 0)
                col[c] = i;
    }
    int rc = 0;
    if (col[ITER] == SIZE_MAX || col[OBJ] == SIZE_MAX) {
        cli_error("plot trace: %s is neither a fit's --json output nor a --trace CSV (its "
                  "header lacks iter and objective_per_obs)",
                  path);
        rc = CLI_EXIT_INPUT;
    }
    for (size_t r = 0; rc == 0 && r < tt.rows; r++) {
        char *const *f = tt.cells + r * tt.cols;
        const char *label = col[LABEL] != SIZE_MAX ? f[col[LABEL]] : "";
        size_t restart = col[RESTART] != SIZE_MAX ? (size_t)strtoul(f[col[RESTART]], NULL, 10)
                                                  : 0;
        if (col[STEP] != SIZE_MAX && strtoul(f[col[STEP]], NULL, 10) != 0)
            continue; /* online fits: the passes' ends only */
        char *e1, *e2;
        double it = strtod(f[col[ITER]], &e1), ob = strtod(f[col[OBJ]], &e2);
        if (e1 == f[col[ITER]] || e2 == f[col[OBJ]]) {
            cli_error("%s: data row %zu: iter and objective_per_obs must be numbers", path,
                      r + 1);
            rc = CLI_EXIT_INPUT;
            break;
        }
        int viol = col[VIOL] != SIZE_MAX && atoi(f[col[VIOL]]) != 0;
        trace_line *l = trace_line_of(t, label, restart);
        if (!l || trace_add(l, it, ob, viol) != 0)
            rc = cli_fail(VEM_ENOMEM, "plot");
    }
    vem_text_table_clear(&tt);
    if (rc == 0 && t->n == 0) {
        cli_error("plot trace: %s has no iterations", path);
        rc = CLI_EXIT_INPUT;
    }
    return rc;
}

int plot_trace(const plot_args *a, json_t *out)
{
    FILE *fp = fopen(a->model, "r");
    if (!fp) {
        cli_error("%s: %s", a->model, strerror(errno));
        return CLI_EXIT_INPUT;
    }
    int ch;
    while ((ch = fgetc(fp)) == ' ' || ch == '\n' || ch == '\t' || ch == '\r')
        ;
    fclose(fp);
    trace_set t;
    memset(&t, 0, sizeof t);
    int rc = ch == '{' ? read_json_trace(a->model, &t) : read_csv_trace(a->model, &t);
    if (rc != 0) {
        trace_set_clear(&t);
        return rc;
    }
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t best = 0, viol = 0, labels = 0;
    for (size_t i = 0; i < t.n; i++) {
        const trace_line *l = &t.l[i];
        for (size_t u = 0; u < l->n; u++) {
            if (!isfinite(l->y[u]))
                continue;
            xmin = l->x[u] < xmin ? l->x[u] : xmin;
            xmax = l->x[u] > xmax ? l->x[u] : xmax;
            ymin = l->y[u] < ymin ? l->y[u] : ymin;
            ymax = l->y[u] > ymax ? l->y[u] : ymax;
            viol += l->viol[u];
        }
        if (l->n && t.l[best].n && l->y[l->n - 1] > t.l[best].y[t.l[best].n - 1])
            best = i;
        labels += i == 0 || strcmp(l->label, t.l[i - 1].label) != 0;
    }
    if (!(xmax >= xmin)) {
        cli_error("plot trace: %s has no finite objective", a->model);
        trace_set_clear(&t);
        return CLI_EXIT_INPUT;
    }
    plot_canvas c;
    if ((rc = plot_open(&c, a, 640, 480)) != 0) {
        trace_set_clear(&t);
        return rc;
    }
    const double f = c.font;
    /* A legend for up to 16 lines: "restart 2", "K=2 VVV" or "K=2 VVV, restart 1". */
    enum { MAXKEYS = 17 };
    plot_key keys[MAXKEYS];
    char names[MAXKEYS][112];
    size_t nk = 0;
    if (t.n <= 16) {
        for (size_t i = 0; i < t.n; i++, nk++) {
            const trace_line *l = &t.l[i];
            int several = 0;
            for (size_t u = 0; u < t.n; u++)
                several |= u != i && strcmp(t.l[u].label, l->label) == 0;
            if (!l->label[0])
                snprintf(names[nk], sizeof names[0], "restart %zu%s", l->restart,
                         i == best && t.n > 1 ? " (best)" : "");
            else if (several)
                snprintf(names[nk], sizeof names[0], "%s, restart %zu", l->label, l->restart);
            else
                snprintf(names[nk], sizeof names[0], "%s", l->label);
            keys[nk] = (plot_key){names[nk], plot_colour(i % 7), PLOT_KEY_LINE, -1, 0, 0};
        }
    }
    if (viol) {
        snprintf(names[nk], sizeof names[0], "decrease");
        keys[nk] = (plot_key){names[nk], 0x222222, PLOT_KEY_POINT, PLOT_CROSS, 0, 0};
        nk++;
    }
    plot_panel p;
    plot_panel_ranges(&p, xmin, xmax, ymin, ymax, PLOT_X_INTEGER);
    char title[160];
    if (t.n == 1)
        snprintf(title, sizeof title, "trace%s%s: %zu iterations", t.model[0] ? " of " : "",
                 t.model, t.l[0].n);
    else
        snprintf(title, sizeof title, "trace: %zu %s", t.n, labels > 1 ? "fits" : "restarts");
    plot_single_layout(&c, &p, plot_title_of(a, title),
                       nk ? plot_legend_width(&c, keys, nk, NULL) : 0);
    plot_axes(&c, &p, "iteration", "objective per observation (nats)", PLOT_AXIS_ALL, 0.9 * f);
    plot_clip(&c, &p);
    /* The best line last, on top, and thicker. */
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < t.n; i++) {
            if ((i == best) != (pass == 1))
                continue;
            const trace_line *l = &t.l[i];
            plot_rgb(&c, plot_colour(i % 7));
            cairo_set_line_width(c.cr, (i == best ? 0.22 : 0.14) * f);
            int pen = 0;
            for (size_t u = 0; u < l->n; u++) {
                if (!isfinite(l->y[u])) {
                    pen = 0;
                    continue;
                }
                (pen ? cairo_line_to : cairo_move_to)(c.cr, plot_px(&p, l->x[u]),
                                                      plot_py(&p, l->y[u]));
                pen = 1;
            }
            cairo_stroke(c.cr);
            if (l->n == 1)
                plot_marker(&c, plot_px(&p, l->x[0]), plot_py(&p, l->y[0]), PLOT_CIRCLE, 0.3 * f,
                            plot_colour(i % 7), 0);
        }
    for (size_t i = 0; i < t.n; i++)
        for (size_t u = 0; u < t.l[i].n; u++)
            if (t.l[i].viol[u])
                plot_marker(&c, plot_px(&p, t.l[i].x[u]), plot_py(&p, t.l[i].y[u]), PLOT_CROSS,
                            0.45 * f, 0x222222, 0);
    plot_unclip(&c);
    if (nk)
        plot_legend(&c, p.x1 + f, p.y0, keys, nk, NULL);

    json_t *lines = json_array();
    for (size_t i = 0; i < t.n; i++) {
        const trace_line *l = &t.l[i];
        json_t *o = json_object();
        char hex[8];
        json_object_set_new(o, "label", json_string(l->label));
        json_object_set_new(o, "restart", json_integer((json_int_t)l->restart));
        json_object_set_new(o, "iterations", json_integer((json_int_t)l->n));
        json_object_set_new(o, "final", cli_json_real(l->n ? l->y[l->n - 1] : NAN));
        json_object_set_new(o, "colour", json_string(plot_hex(plot_colour(i % 7), hex)));
        json_array_append_new(lines, o);
    }
    json_object_set_new(out, "model", t.model[0] ? json_string(t.model) : json_null());
    json_object_set_new(out, "lines", lines);
    json_object_set_new(out, "best", json_integer((json_int_t)best));
    json_object_set_new(out, "violations", json_integer((json_int_t)viol));
    json_object_set_new(out, "panels", json_deep_copy(c.panels));
    json_object_set_new(out, "width", json_real(c.width));
    json_object_set_new(out, "height", json_real(c.height));
    rc = plot_canvas_close(&c, 0);
    trace_set_clear(&t);
    return rc;
}
