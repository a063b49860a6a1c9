/*
 * cli/plot.h — what the files of `vem plot` share (docs/plots.md).
 *
 * Two halves. The geometry (cli/plot_geom.c) is plain C without cairo, tested on its
 * own (tests/test_plot_geom.c): "nice" tick values, an ellipse from a 2 x 2 covariance,
 * contour segments by marching squares, quantiles, the Jensen-Shannon distance and
 * classical multidimensional scaling. The drawing (cli/plot_draw.c) wraps cairo: a
 * canvas written atomically to PNG, SVG or PDF, panels with axes, markers, legends,
 * the Okabe-Ito palette. The kinds of plot are in cli/plot_mix.c (mixtures and model
 * selection), cli/plot_fit.c (traces), cli/plot_hmm.c (state paths), cli/plot_lda.c
 * (topics) and cli/plot_vae.c (a VAE's images and latent space); cli/cmd_plot.c is the
 * command and its table of kinds.
 */
#ifndef VEM_CLI_PLOT_H
#define VEM_CLI_PLOT_H

#include <stddef.h>
#include <stdint.h>

/** pi (C11 has no M_PI). */
#define PLOT_PI 3.14159265358979323846

/* ---- geometry (plot_geom.c) ---- */

/** Tick values of an axis: multiples of step (1, 2 or 5 times a power of ten). */
#define PLOT_MAX_TICKS 24
typedef struct plot_ticks {
    size_t n;                 /**< number of ticks (at least 2 for a range of nonzero width) */
    double v[PLOT_MAX_TICKS]; /**< the values, increasing */
    double step;              /**< their spacing */
    int decimals;             /**< decimals that print every value exactly ("%.*f") */
} plot_ticks;

/**
 * Nice ticks inside [lo, hi] (lo < hi, both finite): the step is 1, 2 or 5 times a
 * power of ten, chosen (Heckbert 1990, "Nice numbers for graph labels") so that about
 * `target` ticks fall in the range; with integer non-zero the step is at least 1. A
 * value within 1e-9 steps of zero is exactly 0.
 */
void plot_nice_ticks(double lo, double hi, size_t target, int integer, plot_ticks *t);
/**
 * The range an axis shows for data in [min, max]: 4% of the span added on each side (as
 * R's plots), or a unit (or a tenth of |min|) around a single value. pad 0: no padding.
 */
void plot_axis_range(double min, double max, double pad, double *lo, double *hi);

/**
 * n points (x, y pairs into xy) on the ellipse of Mahalanobis radius r around mu under
 * the 2 x 2 covariance s (row-major, symmetric): mu + r L (cos t, sin t) with L the
 * Cholesky factor of s, t = 2 pi i / n. Returns 0, or -1 (xy untouched) when s is not
 * positive definite.
 */
int plot_ellipse(const double mu[2], const double s[4], double r, size_t n, double *xy);

/** The bivariate normal density N(x | mu, s) (s 2 x 2); 0 when s is not positive definite. */
double plot_normal2(const double x[2], const double mu[2], const double s[4]);

/** A contour segment from (x0, y0) to (x1, y1), in the grid's coordinates. */
typedef void (*plot_segment_fn)(void *ctx, double x0, double y0, double x1, double y1);
/**
 * The contour f = level of a grid by marching squares: f[j nx + i] is the value at
 * (xs[i], ys[j]) (xs, ys increasing); each cell crossed gives one or two segments,
 * linearly interpolated along its edges (a saddle resolved by the mean of its corners).
 * Returns the number of segments.
 */
size_t plot_contour(const double *f, size_t nx, size_t ny, const double *xs, const double *ys,
                    double level, plot_segment_fn fn, void *ctx);

/** The q-quantile (0 <= q <= 1) of v[0..n) (n > 0), linearly interpolated between order
 *  statistics (R's type 7); v is sorted in place. */
double plot_quantile(double *v, size_t n, double q);

/** The Jensen-Shannon distance sqrt(JSD(p, q) / ln 2) of two distributions over n
 *  outcomes: 0 for equal ones, 1 for disjoint ones. */
double plot_js_distance(const double *p, const double *q, size_t n);

/**
 * Classical multidimensional scaling (Torgerson; principal coordinates) of k points
 * from their k x k distances d (symmetric, zero diagonal) into xy (k x 2): the top two
 * eigenvectors of -J D^2 J / 2 (LAPACK dsyev) scaled by the square roots of their
 * eigenvalues (0 where negative); each axis's sign makes its largest coordinate
 * positive. Returns 0, -1 when out of memory or LAPACK fails.
 */
int plot_mds(const double *d, size_t k, double *xy);

/* ---- the command (cmd_plot.c) ---- */

/** The picture's format, by the output's name. */
typedef enum plot_format { PLOT_PNG, PLOT_SVG, PLOT_PDF } plot_format;

/** What `vem plot` parsed: the kind's inputs and the picture's options. */
typedef struct plot_args {
    const char *kind;   /**< the kind of plot */
    const char *model;  /**< MODEL, or the fit's JSON or trace CSV */
    const char *data;   /**< DATA or NULL */
    const char *output; /**< -o */
    plot_format format;
    double width, height; /**< 0: the kind's default */
    const char *columns;  /**< --columns, or NULL */
    int pairs;            /**< --pairs */
    size_t top;           /**< --top */
    const char *title;    /**< --title, or NULL: the kind's */
    size_t n;             /**< --n, 0: the kind's default */
    uint64_t seed;        /**< --seed (default 1) */
    const char *image_shape;  /**< --image-shape HxW, or NULL: square */
    double scale;             /**< --scale, 0: none (1) */
    const char *dims;         /**< --dims I,J, or NULL: 1,2 */
    const char *label_column; /**< --label-column, or NULL */
    const char *labels;       /**< --labels FILE, or NULL */
    int json;
} plot_args;

/* ---- drawing (plot_draw.c, with cairo; built only when cairo is found) ---- */

#ifdef VEM_WITH_CAIRO
#include <cairo.h>
#include <jansson.h>
#include <stdio.h>

/** The Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"): 0xRRGGBB, in the
 *  order series take them; black last. Series i takes plot_palette[i % PLOT_N_COLOURS]. */
#define PLOT_N_COLOURS 8
extern const unsigned plot_palette[PLOT_N_COLOURS];
/** Series i's colour. */
unsigned plot_colour(size_t i);
/** "#RRGGBB" of rgb into buf (8 bytes). */
const char *plot_hex(unsigned rgb, char buf[8]);

/** A picture being drawn: one cairo surface, written atomically on close. */
typedef struct plot_canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    double width, height; /**< pixels (PNG) or points (SVG, PDF) */
    double font;          /**< the base font size, same units */
    plot_format format;
    const char *path;
    FILE *fp; /**< the temporary beside path (vem_output_open) */
    char *tmp;
    int write_failed;
    json_t *panels; /**< what --json reports of each panel drawn */
} plot_canvas;

/** The format by path's extension (.png, .svg, .pdf, any case): 0, or -1 for another. */
int plot_format_of(const char *path, plot_format *f);
/**
 * Open a canvas of width x height for path (temporary beside it, white background, the
 * sans-serif font). Returns 0, or an exit status (reported: the path cannot be written).
 */
int plot_canvas_open(plot_canvas *c, const char *path, plot_format format, double width,
                     double height);
/**
 * Finish the picture and commit it over path, or with failed non-zero (or any cairo or
 * write error) remove the temporary and leave path as it was. Returns 0 or an exit status
 * (reported). Frees c's resources either way.
 */
int plot_canvas_close(plot_canvas *c, int failed);

/** A panel: a frame on the canvas and the data coordinates at its edges. */
typedef struct plot_panel {
    double x0, y0, x1, y1;     /**< the frame, canvas units, y down */
    double xlo, xhi, ylo, yhi; /**< data at the left, right, bottom and top edges */
    plot_ticks xt, yt;
} plot_panel;

/** Axis flags of plot_panel_ranges. */
enum { PLOT_X_INTEGER = 1, PLOT_Y_INTEGER = 2, PLOT_X_EXACT = 4, PLOT_Y_EXACT = 8 };
/** The panel's data ranges (padded by plot_axis_range unless EXACT) and their ticks. */
void plot_panel_ranges(plot_panel *p, double xmin, double xmax, double ymin, double ymax,
                       unsigned flags);
/** Canvas coordinates of data x and y. */
double plot_px(const plot_panel *p, double x);
double plot_py(const plot_panel *p, double y);

/** Which parts of the axes plot_axes draws. */
enum {
    PLOT_AXIS_X_LABELS = 1, /**< tick values under the frame */
    PLOT_AXIS_Y_LABELS = 2, /**< tick values left of it */
    PLOT_AXIS_ALL = 3,
    PLOT_AXIS_X_TOP = 4,  /**< tick values (and marks) above the frame */
    PLOT_AXIS_Y_RIGHT = 8 /**< tick values (and marks) right of it */
};
/** Width of the widest y tick label of p at font size s. */
double plot_ytick_width(plot_canvas *c, const plot_panel *p, double s);
/**
 * The frame, tick marks, tick values (show: PLOT_AXIS_*) and the axis names (NULL: none)
 * of p, at tick font size s; and p described in c->panels (for --json).
 */
void plot_axes(plot_canvas *c, const plot_panel *p, const char *xname, const char *yname,
               unsigned show, double s);
/** Clip to p's frame until plot_unclip (data are never drawn outside it). */
void plot_clip(plot_canvas *c, const plot_panel *p);
void plot_unclip(plot_canvas *c);

/**
 * One panel filling the canvas less a title line (when title is not NULL or empty, drawn),
 * the axes' labels and legend_w on the right: p's frame set (its ranges set already).
 */
void plot_single_layout(plot_canvas *c, plot_panel *p, const char *title, double legend_w);
/** The title centred at the top of the canvas (nothing for NULL or ""). */
void plot_title(plot_canvas *c, const char *title);

/** Text at (x, y): ha 0 left, 0.5 centre, 1 right; va 0 top, 0.5 middle, 1 baseline;
 *  size in canvas units; angle in radians (counter-clockwise). */
void plot_text(plot_canvas *c, double x, double y, const char *text, double ha, double va,
               double size, double angle);
/** Width of text at size. */
double plot_text_width(plot_canvas *c, const char *text, double size);

/** Set the source colour (0xRRGGBB, alpha 1). */
void plot_rgb(plot_canvas *c, unsigned rgb);
/** rgb mixed with white: t 0 is white, 1 the colour. */
unsigned plot_tint(unsigned rgb, double t);

/** Marker shapes. */
enum {
    PLOT_CIRCLE,
    PLOT_SQUARE,
    PLOT_TRIANGLE,
    PLOT_DIAMOND,
    PLOT_TRIANGLE_DOWN,
    PLOT_PLUS,
    PLOT_CROSS,
    PLOT_N_MARKERS
};
/** A marker of radius r at (x, y) in rgb: filled, or outlined (open non-zero). */
void plot_marker(plot_canvas *c, double x, double y, int shape, double r, unsigned rgb, int open);

/** One legend entry. */
typedef struct plot_key {
    const char *label;
    unsigned rgb;
    int style;  /**< PLOT_KEY_* */
    int marker; /**< PLOT_KEY_LINE, PLOT_KEY_POINT: the marker (-1 none) */
    int open;   /**< open marker */
    int dashed; /**< PLOT_KEY_LINE: dashed */
} plot_key;
enum { PLOT_KEY_BOX, PLOT_KEY_POINT, PLOT_KEY_LINE };
/** Width the legend of n keys (and a heading, NULL for none) takes at the base font. */
double plot_legend_width(plot_canvas *c, const plot_key *keys, size_t n, const char *heading);
/** The legend with its top left corner at (x, y). */
void plot_legend(plot_canvas *c, double x, double y, const plot_key *keys, size_t n,
                 const char *heading);

/** "%.*g" of v with the fewest digits (up to 6) that print it to 1e-6 relative. */
const char *plot_number(double v, char *buf, size_t size);

/* ---- the kinds of plot (plot_mix.c, plot_fit.c, plot_hmm.c, plot_lda.c, plot_vae.c) ---- */

/** One kind's drawing: 0 (the picture written; out filled for --json) or an exit status
 *  (reported). */
typedef int (*plot_fn)(const plot_args *a, json_t *out);
int plot_classification(const plot_args *a, json_t *out);
int plot_uncertainty(const plot_args *a, json_t *out);
int plot_density(const plot_args *a, json_t *out);
int plot_bic(const plot_args *a, json_t *out);
int plot_trace(const plot_args *a, json_t *out);
int plot_states(const plot_args *a, json_t *out);
int plot_topics(const plot_args *a, json_t *out);
int plot_topic_map(const plot_args *a, json_t *out);
int plot_samples(const plot_args *a, json_t *out);
int plot_reconstructions(const plot_args *a, json_t *out);
int plot_latent(const plot_args *a, json_t *out);

/** Open the canvas of a: its size (default w x h when not given), format and path. */
int plot_open(plot_canvas *c, const plot_args *a, double w, double h);
/**
 * Parse --columns (names or 1-based numbers of the model's d columns, names NULL: none)
 * into idx (at most cap), *n of them; NULL spec: the first want (0: all). 0, or
 * CLI_EXIT_USAGE (reported, naming the column and listing the model's).
 */
int plot_columns(const char *spec, const char *const *names, size_t d, size_t want, size_t cap,
                 size_t *idx, size_t *n);
/** Column j's name (names[j], or "x1", "x2", ... in buf). */
const char *plot_column_name(const char *const *names, size_t j, char *buf, size_t size);
/** A title: a->title when given, else the default. */
const char *plot_title_of(const plot_args *a, const char *def);
#endif /* VEM_WITH_CAIRO */

#endif /* VEM_CLI_PLOT_H */
