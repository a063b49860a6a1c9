/*
 * cli/progress.c — what a `vem fit KIND` shows while it runs, and its --trace
 * (docs/reliability.md, "Progress and traces").
 *
 * The engine reports every trace entry (vem_fit_opts.progress); this file keeps
 * one state per command (the program runs one command): on a terminal one line
 * redrawn in place at most ten times a second, with --verbose off a terminal
 * the same as plain lines at most once a second plus the last of each restart,
 * and under --trace every entry, written as CSV when the command ends.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* One trace entry of the CSV: the label as an index into the labels seen. */
typedef struct trace_row {
    size_t label, restart, iter, step;
    double objective, n_obs, change, seconds;
    int violation;
    double validation;
    size_t mc_samples;
    double passes;
} trace_row;

/* Ratios of successive changes kept for the convergence-rate estimate. */
#define RATE_WINDOW 5

static struct {
    int on;                  /* the callback is installed */
    int tty, verbose;        /* where the line goes: 1 a terminal, else plain lines */
    const cli_fit_kind *kind;
    int online;
    size_t cells;            /* selection: fits in all (0: unknown or one) */
    size_t cell;             /* fits begun so far (labels seen) */

    /* The last report, and whether it was shown. */
    vem_progress last;
    char label[64];
    int have_last, shown, pending_line; /* pending_line: a terminal line without its newline */
    double last_show;        /* monotonic time of the last line shown */

    /* Time: fits before this one, restarts of this fit done. */
    double base_seconds;     /* elapsed of the fits (cells) before this one */
    double cell_seconds_sum; /* the same, for the mean time of a cell */
    double restart_seconds_sum;
    size_t restarts_done;
    /* This restart: seconds per iteration (smoothed) and the changes' ratios. */
    double sec_per_iter, prev_seconds, prev_change;
    size_t prev_iter;
    double ratios[RATE_WINDOW];
    size_t n_ratios;

    /* --trace */
    const char *trace_path;
    trace_row *rows;
    size_t n_rows, cap_rows;
    char **labels;
    size_t n_labels;
    int trace_failed;        /* out of memory: the file would not be whole */
    int started;             /* an entry was reported: the fit began */
} P;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* "m:ss", "h:mm:ss"; "?" when unknown. */
static void fmt_time(char *buf, size_t size, double s)
{
    if (!isfinite(s) || s < 0.0 || s > 3.6e7) {
        snprintf(buf, size, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

/*
 * Seconds left, or NaN when unknown. In this restart: with tol 0, max_iter - iter
 * iterations; else, assuming linear convergence |change_{k+1}| = r |change_k| with r the
 * geometric mean of the last ratios of successive changes, the iterations until the
 * change falls below tol (per observation), at most max_iter - iter. Times the recent
 * seconds per iteration; then the restarts left, each as long as the mean restart so far
 * (or as this one, estimated); then the cells left of a selection, each as long as the
 * mean cell so far (or as this one).
 */
static double time_left(const vem_progress *p)
{
    size_t left_max = p->max_iter > p->iter ? p->max_iter - p->iter : 0;
    double iters;
    if (p->tol == 0.0) {
        iters = (double)left_max;
    } else {
        double thr = p->tol_rule == VEM_TOL_TOTAL && p->n_obs > 0 ? p->tol / p->n_obs : p->tol;
        double c = fabs(p->change);
        if (p->iter >= 2 && c < thr) {
            iters = left_max ? 1.0 : 0.0;
        } else if (P.n_ratios == 0) {
            return NAN;
        } else {
            double lr = 0.0;
            for (size_t i = 0; i < P.n_ratios; i++)
                lr += log(P.ratios[i]);
            lr /= (double)P.n_ratios;
            if (!(lr < -1e-6))
                iters = (double)left_max; /* not shrinking: max_iter bounds it */
            else
                iters = fmin(ceil(log(thr / c) / lr), (double)left_max);
        }
    }
    if (!(P.sec_per_iter >= 0.0))
        return NAN;
    double here = iters * P.sec_per_iter;
    size_t restarts_left = p->n_restarts > p->restart + 1 ? p->n_restarts - p->restart - 1 : 0;
    double per_restart =
        P.restarts_done ? P.restart_seconds_sum / (double)P.restarts_done : p->seconds + here;
    double fit_left = here + (double)restarts_left * per_restart;
    if (P.cells > P.cell) {
        double this_fit = p->fit_seconds + fit_left;
        size_t done = P.cell > 0 ? P.cell - 1 : 0;
        double per_cell = done ? P.cell_seconds_sum / (double)done : this_fit;
        fit_left += (double)(P.cells - P.cell) * per_cell;
    }
    return fit_left;
}

/* The progress line of p (no newline). */
static void format_line(char *buf, size_t size, const vem_progress *p)
{
    char el[32], left[32], it[64], obj[32], lab[80] = "";
    fmt_time(el, sizeof el, P.base_seconds + p->fit_seconds);
    fmt_time(left, sizeof left, time_left(p));
    if (P.label[0])
        snprintf(lab, sizeof lab, " %s", P.label);
    if (p->step)
        snprintf(it, sizeof it, "%s %zu/%zu step %zu", P.online ? "pass" : "iter", p->iter,
                 p->max_iter, p->step);
    else
        snprintf(it, sizeof it, "%s %zu/%zu", P.online ? "pass" : "iter", p->iter, p->max_iter);
    if (p->n_obs > 0)
        snprintf(obj, sizeof obj, "%.7g", p->objective / p->n_obs);
    else
        snprintf(obj, sizeof obj, "%.7g", p->objective);
    snprintf(buf, size, "%s%s restart %zu/%zu %s %s/obs %s change %.2g%s %s elapsed %s%s left",
             P.kind->name, lab, p->restart + 1, p->n_restarts, it, P.kind->objective, obj,
             p->change, p->violation ? " (!)" : "", el, left[0] == '?' ? "" : "~", left);
}

/* Terminal columns (80 when unknown). */
static size_t columns(void)
{
    struct winsize w;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
        return w.ws_col;
    const char *c = getenv("COLUMNS");
    long n = c ? strtol(c, NULL, 10) : 0;
    return n > 0 ? (size_t)n : 80;
}

static void show(const vem_progress *p)
{
    char line[320];
    format_line(line, sizeof line, p);
    if (P.tty) {
        size_t w = columns();
        if (w > 1 && strlen(line) > w - 1)
            line[w - 1] = '\0'; /* a wrapped line cannot be redrawn in place */
        fprintf(stderr, "\r%s\033[K", line);
        P.pending_line = 1;
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
    P.shown = 1;
    P.last_show = now();
}

static int same_label(const vem_progress *p)
{
    return strcmp(P.label, p->label ? p->label : "") == 0;
}

static void trace_add(const vem_progress *p)
{
    if (!P.trace_path || P.trace_failed)
        return;
    const char *lab = p->label ? p->label : "";
    if (P.n_labels == 0 || strcmp(P.labels[P.n_labels - 1], lab) != 0) {
        char **l = realloc(P.labels, (P.n_labels + 1) * sizeof *l);
        char *copy = l ? strdup(lab) : NULL;
        if (l)
            P.labels = l;
        if (!copy) {
            P.trace_failed = 1;
            return;
        }
        P.labels[P.n_labels++] = copy;
    }
    if (P.n_rows == P.cap_rows) {
        size_t cap = P.cap_rows ? 2 * P.cap_rows : 256;
        trace_row *r = realloc(P.rows, cap * sizeof *r);
        if (!r) {
            P.trace_failed = 1;
            return;
        }
        P.rows = r;
        P.cap_rows = cap;
    }
    P.rows[P.n_rows++] = (trace_row){.label = P.n_labels - 1,
                                     .restart = p->restart,
                                     .iter = p->iter,
                                     .step = p->step,
                                     .objective = p->objective,
                                     .n_obs = p->n_obs,
                                     .change = p->change,
                                     .seconds = p->seconds,
                                     .violation = p->violation,
                                     .validation = p->validation,
                                     .mc_samples = p->mc_samples,
                                     .passes = p->passes};
}

static void on_progress(void *ctx, const vem_progress *p)
{
    (void)ctx;
    P.started = 1;
    trace_add(p);
    if (!P.tty && !P.verbose)
        return;
    int new_fit = !P.have_last || !same_label(p) || p->restart < P.last.restart;
    int new_restart = new_fit || p->restart != P.last.restart;
    if (P.have_last && new_restart) {
        /* Off a terminal the last state of the restart that ended is always shown (on
         * one, the next state overwrites it at once). */
        if (!P.shown && !P.tty)
            show(&P.last);
        P.restart_seconds_sum += P.last.seconds;
        P.restarts_done++;
        if (new_fit) {
            P.base_seconds += P.last.fit_seconds;
            P.cell_seconds_sum += P.last.fit_seconds;
            P.restart_seconds_sum = 0.0;
            P.restarts_done = 0;
        }
    }
    if (new_fit) {
        snprintf(P.label, sizeof P.label, "%s", p->label ? p->label : "");
        P.cell++;
    }
    if (new_restart) {
        P.sec_per_iter = NAN;
        P.prev_seconds = 0.0;
        P.prev_iter = 0;
        P.prev_change = NAN;
        P.n_ratios = 0;
    }
    if (p->step == 0 && p->iter > P.prev_iter) {
        /* Seconds per iteration (pass): smoothed over the recent ones. */
        double spi = (p->seconds - P.prev_seconds) / (double)(p->iter - P.prev_iter);
        P.sec_per_iter = isnan(P.sec_per_iter) ? spi : 0.7 * P.sec_per_iter + 0.3 * spi;
        P.prev_seconds = p->seconds;
        P.prev_iter = p->iter;
        double c = fabs(p->change);
        if (p->iter >= 2 && c > 0.0 && isfinite(P.prev_change) && P.prev_change > 0.0) {
            if (P.n_ratios == RATE_WINDOW) {
                memmove(P.ratios, P.ratios + 1, (RATE_WINDOW - 1) * sizeof *P.ratios);
                P.n_ratios--;
            }
            P.ratios[P.n_ratios++] = c / P.prev_change;
        }
        P.prev_change = p->iter >= 2 ? c : NAN;
    }
    P.last = *p;
    P.last.label = NULL; /* p->label may not outlive the call: P.label holds it */
    P.have_last = 1;
    P.shown = 0;
    double interval = P.tty ? 0.1 : 1.0;
    if (now() - P.last_show >= interval)
        show(p);
}

void cli_progress_setup(cli_fit_args *f)
{
    if (cli_mpi_rank() != 0)
        return;
    P.tty = isatty(STDERR_FILENO);
    P.verbose = f->verbose;
    P.trace_path = f->trace;
    P.kind = f->kind;
    P.online = !cli_by_iterations(f->opts.algorithm);
    if (!P.tty && !P.verbose && !P.trace_path)
        return;
    P.on = 1;
    f->opts.progress = on_progress;
    f->opts.progress_ctx = NULL;
}

void cli_progress_cells(size_t n)
{
    P.cells = n;
}

void cli_progress_end_line(void)
{
    if (!P.on)
        return;
    if (P.have_last && !P.shown && (P.tty || P.verbose))
        show(&P.last);
    cli_progress_break();
}

void cli_progress_break(void)
{
    if (P.pending_line) {
        P.pending_line = 0;
        fputc('\n', stderr);
        fflush(stderr);
    }
}

/* A field of the CSV: as it is unless it holds a comma, a quote or a line break. */
static void csv_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* The trace as CSV into path, atomically (vem_output_open). 0 or 2 (reported). */
static int trace_write(const char *path)
{
    char *tmp = NULL;
    FILE *fp = vem_output_open(path, &tmp);
    if (!fp)
        return cli_fail(VEM_EIO, "--trace");
    fputs("label,restart,iter,step,objective,objective_per_obs,change,seconds,violation,"
          "validation,mc_samples,passes\n", fp);
    for (size_t i = 0; i < P.n_rows; i++) {
        const trace_row *r = &P.rows[i];
        csv_field(fp, P.labels[r->label]);
        fprintf(fp, ",%zu,%zu,%zu,%.17g,%.17g,%.17g,%.17g,%d,", r->restart, r->iter, r->step,
                r->objective, r->n_obs > 0 ? r->objective / r->n_obs : NAN, r->change,
                r->seconds, r->violation);
        if (isfinite(r->validation))
            fprintf(fp, "%.17g", r->validation);
        fprintf(fp, ",%zu,%.17g\n", r->mc_samples, r->passes);
    }
    vem_status s = vem_output_commit(fp, tmp, path, ferror(fp));
    return s == VEM_OK ? 0 : cli_fail(s, "--trace");
}

int cli_progress_finish(int rc)
{
    if (!P.on)
        return rc;
    cli_progress_end_line();
    int wrc = 0;
    if (P.trace_path && P.started) {
        if (P.trace_failed) {
            cli_error("--trace %s: out of memory: not written", P.trace_path);
            wrc = CLI_EXIT_INPUT;
        } else {
            wrc = trace_write(P.trace_path);
        }
    }
    for (size_t i = 0; i < P.n_labels; i++)
        free(P.labels[i]);
    free(P.labels);
    free(P.rows);
    P.labels = NULL;
    P.rows = NULL;
    P.n_labels = P.n_rows = 0;
    P.on = 0;
    return rc ? rc : wrc;
}
