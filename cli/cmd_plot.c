/*
 * cli/cmd_plot.c — `vem plot KIND MODEL [DATA] -o FILE.png|svg|pdf`: pictures of a model
 * or of a fit, drawn with cairo (docs/plots.md). The kinds of plot are one table
 * (PLOT_KINDS): the parser, the check that a kind fits the model file, and the help read
 * it. Without cairo (an optional dependency: CMake's VEM_WITH_CAIRO) the command says how
 * to build it and exits 1; everything else works the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/*
 * X(name, function, operands, inputs, uses, models, text): one kind of plot. inputs: what
 * MODEL is: PLOT_IN_MODEL (a model file of one of the kinds in models, a list separated by
 * ", ") or PLOT_IN_FIT (a fit's --json output, or its --trace CSV). uses: what else it takes
 * (PLOT_USES_*: DATA, --columns, --pairs, --top); anything else is refused by name.
 */
#define PLOT_KINDS(X)                                                                              \
    X("classification", plot_classification, "MODEL DATA", PLOT_IN_MODEL, PLOT_USES_MIXTURE,       \
      "gmm, vbgmm",                                                                                \
      "each row of DATA coloured by its most probable component, with each\n"                      \
      "      component's ellipses at 1 and 2 standard deviations (--columns A,B: the pair\n"       \
      "      shown, default the first two; --pairs: every pair)")                                  \
    X("uncertainty", plot_uncertainty, "MODEL DATA", PLOT_IN_MODEL, PLOT_USES_MIXTURE,             \
      "gmm, vbgmm", "the same, each point's area growing with its uncertainty 1 - max_k p(k | x)") \
    X("density", plot_density, "MODEL [DATA]", PLOT_IN_MODEL, PLOT_USES_MIXTURE, "gmm, vbgmm",     \
      "contours of the mixture's density on a pair of columns (its marginal):\n"                   \
      "      the regions of highest density holding 25, 50, 75, 90, 95 and 99% of DATA's\n"        \
      "      rows (without DATA: 10 ... 90% of the peak)")                                         \
    X("bic", plot_bic, "FIT.json", PLOT_IN_FIT, 0, "a fit's --json",                               \
      "the BIC of every cell of a selection (vem fit gmm DATA -k 1-9\n"                            \
      "      --covariance all --json > FIT.json): one line per covariance structure\n"             \
      "      against K, the best cell ringed")                                                     \
    X("trace", plot_trace, "FIT.json|TRACE.csv", PLOT_IN_FIT, 0, "a fit's --json or --trace",      \
      "the objective per observation at each iteration, from a fit's --json\n"                     \
      "      output (the kept restart) or its --trace CSV (every restart a line);\n"               \
      "      decreases (monotonicity violations) marked")                                          \
    X("states", plot_states, "MODEL DATA", PLOT_IN_MODEL, PLOT_USES_DATA | PLOT_USES_COLUMNS,      \
      "hmm, vbhmm",                                                                                \
      "DATA's columns (--columns: which) in stacked panels over the bands of\n"                    \
      "      the Viterbi state path, each state's mean drawn over its stretches")                  \
    X("topics", plot_topics, "MODEL", PLOT_IN_MODEL, PLOT_USES_TOP, "lda",                         \
      "the --top words of each topic as bars of their probability")                                \
    X("topic-map", plot_topic_map, "MODEL", PLOT_IN_MODEL, 0, "lda",                               \
      "the topics placed by multidimensional scaling of their Jensen-Shannon\n"                    \
      "      distances, each bubble's area its share of the corpus's tokens")                      \
    X("samples", plot_samples, "MODEL", PLOT_IN_MODEL,                                            \
      PLOT_USES_N | PLOT_USES_SEED | PLOT_USES_IMAGE, "vae",                                      \
      "a grid of --n images decoded from draws z ~ N(0, I) of the prior")                        \
    X("reconstructions", plot_reconstructions, "MODEL DATA", PLOT_IN_MODEL,                      \
      PLOT_USES_DATA | PLOT_USES_N | PLOT_USES_IMAGE | PLOT_USES_SCALE, "vae",                    \
      "DATA's first --n rows, each above its reconstruction (the decoder's\n"                   \
      "      mean at the encoder's mean)")                                                         \
    X("latent", plot_latent, "MODEL DATA", PLOT_IN_MODEL,                                         \
      PLOT_USES_DATA | PLOT_USES_N | PLOT_USES_LABELS | PLOT_USES_SCALE, "vae",                    \
      "the encoder's means of DATA's rows on two latent dimensions (--dims,\n"                  \
      "      default 1,2), coloured by --label-column or --labels")

enum { PLOT_IN_MODEL, PLOT_IN_FIT };
enum {
    PLOT_USES_DATA = 1,
    PLOT_USES_COLUMNS = 2,
    PLOT_USES_PAIRS = 4,
    PLOT_USES_TOP = 8,
    PLOT_USES_N = 16,     /* --n */
    PLOT_USES_SEED = 32,  /* --seed */
    PLOT_USES_IMAGE = 64, /* --image-shape */
    PLOT_USES_SCALE = 128, /* --scale */
    PLOT_USES_LABELS = 256 /* --dims, --label-column, --labels */
};
#define PLOT_USES_MIXTURE (PLOT_USES_DATA | PLOT_USES_COLUMNS | PLOT_USES_PAIRS)

/* A kind's lines of the help; the kinds of model it draws (none: a fit's output) in brackets. */
#define PLOT_HELP_LINE(name, fn, ops, in, uses, models, text)                                      \
    "  " name " " ops "   [" models "]\n      " text "\n"

typedef struct plot_kind {
    const char *name, *ops, *models;
    int input;
    unsigned uses;
#ifdef VEM_WITH_CAIRO
    plot_fn fn;
#endif
} plot_kind;

#ifdef VEM_WITH_CAIRO
#define PLOT_ROW(name, fn, ops, in, uses, models, text) {name, ops, models, in, uses, fn},
#else
#define PLOT_ROW(name, fn, ops, in, uses, models, text) {name, ops, models, in, uses},
#endif
static const plot_kind plot_kinds[] = {PLOT_KINDS(PLOT_ROW)};
#define N_PLOT_KINDS (sizeof plot_kinds / sizeof plot_kinds[0])

enum {
    OPT_OUTPUT = CLI_OPT_OWN,
    OPT_WIDTH,
    OPT_HEIGHT,
    OPT_COLUMNS,
    OPT_PAIRS,
    OPT_TOP,
    OPT_TITLE,
    OPT_N,
    OPT_SEED,
    OPT_IMAGE_SHAPE,
    OPT_SCALE,
    OPT_DIMS,
    OPT_LABEL_COLUMN,
    OPT_LABELS
};

static const cli_option plot_options[] = {
    {"output", 'o', 1, OPT_OUTPUT, "FILE",
     "the picture, by its name: FILE.png, FILE.svg or FILE.pdf (required);\n"
     "written atomically (a temporary beside it, renamed)"},
    {"width", 0, 1, OPT_WIDTH, "W",
     "width in pixels (PNG) or points (SVG, PDF); default 640, 720 with\n"
     "--pairs, 800 for topics"},
    {"height", 0, 1, OPT_HEIGHT, "H",
     "height, likewise; default 480, 720 with --pairs, 600 for topics"},
    {"columns", 0, 1, OPT_COLUMNS, "LIST",
     "the model's columns drawn, by name or 1-based number: mixtures two\n"
     "(default the first two) or with --pairs any; states any (default all)"},
    {"pairs", 0, 0, OPT_PAIRS, NULL,
     "classification, uncertainty, density: a matrix of every pair"},
    {"top", 0, 1, OPT_TOP, "N", "topics: the words per topic (default 10)"},
    {"title", 0, 1, OPT_TITLE, "TEXT", "the title ('' for none; default: what is drawn)"},
    {"n", 'n', 1, OPT_N, "N",
     "samples: the images drawn (default 16); reconstructions: DATA's first\n"
     "N rows (default 10); latent: DATA's first N rows (default all)"},
    {"seed", 0, 1, OPT_SEED, "S", "samples: the draws' seed (default 1)"},
    {"image-shape", 0, 1, OPT_IMAGE_SHAPE, "HxW",
     "samples, reconstructions: the images' height and width in pixels (H W\n"
     "must be the model's columns; default: square, side sqrt(columns))"},
    {"scale", 0, 1, OPT_SCALE, "S",
     "reconstructions, latent: DATA's values divided by S (255: bytes into\n"
     "[0, 1], as the model was fitted; default 1)"},
    {"dims", 0, 1, OPT_DIMS, "I,J", "latent: the latent dimensions drawn, 1-based (default 1,2)"},
    {"label-column", 0, 1, OPT_LABEL_COLUMN, "C",
     "latent: the column (name or 1-based number) of DATA, or of --labels'\n"
     "FILE, that colours the points; left out of DATA's columns"},
    {"labels", 0, 1, OPT_LABELS, "FILE",
     "latent: a label per row of DATA (one column: CSV, IDX, .npy)"},
    {NULL, 0, 0, 0, NULL, NULL},
};
static const cli_option *const plot_tables[] = {plot_options, cli_common_options, NULL};

/* Non-zero when plot kind k draws models of kind `model`. */
static int kind_takes(const plot_kind *k, const char *model)
{
    size_t n = strlen(model);
    for (const char *m = k->models; *m;) {
        size_t w = strcspn(m, ",");
        if (w == n && strncmp(m, model, n) == 0)
            return 1;
        m += w;
        m += strspn(m, ", ");
    }
    return 0;
}

/* "a, b, c" : the names of the plot kinds, or of those of model kind `model` (NULL: all). */
static const char *kinds_list(const char *model, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < N_PLOT_KINDS; i++)
        if (!model || kind_takes(&plot_kinds[i], model))
            snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? ", " : "",
                     plot_kinds[i].name);
    return buf;
}

static const plot_kind *find_plot_kind(const char *name)
{
    for (size_t i = 0; i < N_PLOT_KINDS; i++)
        if (strcmp(plot_kinds[i].name, name) == 0)
            return &plot_kinds[i];
    return NULL;
}

void cli_plot_version(void)
{
#ifdef VEM_WITH_CAIRO
    printf("plots: cairo %s (png, svg, pdf)\n", cairo_version_string());
#else
    printf("plots: none: built without cairo (%s)\n", VEM_CAIRO_WHY);
#endif
}

#ifdef VEM_WITH_CAIRO
int plot_open(plot_canvas *c, const plot_args *a, double w, double h)
{
    return plot_canvas_open(c, a->output, a->format, a->width > 0 ? a->width : w,
                            a->height > 0 ? a->height : h);
}

const char *plot_column_name(const char *const *names, size_t j, char *buf, size_t size)
{
    return cli_column_label(names, j, buf, size);
}

const char *plot_title_of(const plot_args *a, const char *def)
{
    return a->title ? a->title : def;
}

int plot_columns(const char *spec, const char *const *names, size_t d, size_t want, size_t cap,
                 size_t *idx, size_t *n)
{
    *n = 0;
    char all[1024], buf[32];
    all[0] = '\0';
    for (size_t j = 0; j < d && strlen(all) < sizeof all - 40; j++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", j ? ", " : "",
                 plot_column_name(names, j, buf, sizeof buf));
    if (!spec) {
        size_t m = want ? want : d;
        if (d < m) {
            cli_error("plot: the model has %zu column%s (%s); this plot needs %zu", d,
                      d == 1 ? "" : "s", all, m);
            return CLI_EXIT_USAGE;
        }
        for (size_t j = 0; j < m && j < cap; j++)
            idx[(*n)++] = j;
        return 0;
    }
    for (const char *s = spec;;) {
        size_t len = strcspn(s, ",");
        size_t found = SIZE_MAX;
        for (size_t j = 0; j < d && found == SIZE_MAX; j++) {
            const char *nm = plot_column_name(names, j, buf, sizeof buf);
            if (strlen(nm) == len && strncmp(nm, s, len) == 0)
                found = j;
        }
        if (found == SIZE_MAX && len > 0 && strspn(s, "0123456789") == len) {
            size_t v = (size_t)strtoul(s, NULL, 10);
            if (v >= 1 && v <= d)
                found = v - 1;
        }
        if (found == SIZE_MAX) {
            cli_error("--columns: no column '%.*s' in the model (its columns: %s)", (int)len, s,
                      all);
            return CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < *n; i++)
            if (idx[i] == found) {
                cli_error("--columns: column '%.*s' given twice", (int)len, s);
                return CLI_EXIT_USAGE;
            }
        if (*n == cap) {
            cli_error("--columns: at most %zu columns", cap);
            return CLI_EXIT_USAGE;
        }
        idx[(*n)++] = found;
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    if (want && *n != want) {
        cli_error("--columns: give %zu columns (A,B), got %zu%s", want, *n,
                  want == 2 ? " (--pairs draws more)" : "");
        return CLI_EXIT_USAGE;
    }
    return 0;
}
#endif

/* The operands and options of `vem plot`; 0, or CLI_EXIT_USAGE (reported). */
static int parse(int argc, char **argv, plot_args *a)
{
    memset(a, 0, sizeof *a);
    a->top = 10;
    a->seed = 1;
    const char *ops[3];
    int nops = 0, rc = 0, top_given = 0, seed_given = 0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, plot_tables, 0, "plot");
    const char *val;
    int id;
    while (rc == 0 && (id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_BAD: rc = CLI_EXIT_USAGE; break;
        case CLI_POSITIONAL:
            if (nops == 3) {
                cli_error("plot: unexpected argument '%s'", val);
                rc = CLI_EXIT_USAGE;
            } else {
                ops[nops++] = val;
            }
            break;
        case CLI_OPT_JSON: a->json = 1; break;
        case OPT_OUTPUT: a->output = val; break;
        case OPT_WIDTH: rc = cli_parse_double("--width", val, 16, 0, &a->width); break;
        case OPT_HEIGHT: rc = cli_parse_double("--height", val, 16, 0, &a->height); break;
        case OPT_COLUMNS: a->columns = val; break;
        case OPT_PAIRS: a->pairs = 1; break;
        case OPT_TOP:
            rc = cli_parse_size("--top", val, 1, 100, &a->top);
            top_given = 1;
            break;
        case OPT_TITLE: a->title = val; break;
        case OPT_N: rc = cli_parse_size("--n", val, 1, 100000000, &a->n); break;
        case OPT_SEED:
            rc = cli_parse_u64("--seed", val, &a->seed);
            seed_given = 1;
            break;
        case OPT_IMAGE_SHAPE: a->image_shape = val; break;
        case OPT_SCALE: rc = cli_parse_double("--scale", val, 0, 1, &a->scale); break;
        case OPT_DIMS: a->dims = val; break;
        case OPT_LABEL_COLUMN: a->label_column = val; break;
        case OPT_LABELS: a->labels = val; break;
        default: break;
        }
    }
    if (rc == 0 && (a->width > 16384 || a->height > 16384)) {
        cli_error("plot: --width and --height must be <= 16384");
        rc = CLI_EXIT_USAGE;
    }
    if (rc != 0)
        return cli_usage_error("plot");
    char list[256];
    if (nops == 0) {
        cli_error("plot: missing the kind of plot (%s)", kinds_list(NULL, list, sizeof list));
        return cli_usage_error("plot");
    }
    a->kind = ops[0];
    if (!find_plot_kind(a->kind)) {
        cli_error("plot: unknown kind of plot '%s' (%s)", a->kind,
                  kinds_list(NULL, list, sizeof list));
        return cli_usage_error("plot");
    }
    if (nops < 2) {
        cli_error("plot %s: missing %s", a->kind,
                  find_plot_kind(a->kind)->input == PLOT_IN_FIT ? "the fit's JSON or trace"
                                                                : "MODEL");
        return cli_usage_error("plot");
    }
    a->model = ops[1];
    a->data = nops > 2 ? ops[2] : NULL;
    /* What the kind does not take is refused by name, not ignored. */
    const unsigned uses = find_plot_kind(a->kind)->uses;
    const char *extra = a->data && !(uses & PLOT_USES_DATA)         ? a->data
                        : a->columns && !(uses & PLOT_USES_COLUMNS) ? "--columns"
                        : a->pairs && !(uses & PLOT_USES_PAIRS)     ? "--pairs"
                        : top_given && !(uses & PLOT_USES_TOP)      ? "--top"
                        : a->n && !(uses & PLOT_USES_N)             ? "--n"
                        : seed_given && !(uses & PLOT_USES_SEED)    ? "--seed"
                        : a->image_shape && !(uses & PLOT_USES_IMAGE) ? "--image-shape"
                        : a->scale > 0 && !(uses & PLOT_USES_SCALE) ? "--scale"
                        : a->dims && !(uses & PLOT_USES_LABELS)     ? "--dims"
                        : a->label_column && !(uses & PLOT_USES_LABELS) ? "--label-column"
                        : a->labels && !(uses & PLOT_USES_LABELS)   ? "--labels"
                                                                    : NULL;
    if (extra == a->data && extra) {
        cli_error("plot %s: unexpected argument '%s' (plot %s takes %s)", a->kind, a->data,
                  a->kind, find_plot_kind(a->kind)->ops);
        return cli_usage_error("plot");
    }
    if (extra) {
        cli_error("plot %s: %s does not apply to this kind of plot", a->kind, extra);
        return cli_usage_error("plot");
    }
    if (!a->output) {
        cli_error("plot: -o FILE is required (FILE.png, FILE.svg or FILE.pdf)");
        return cli_usage_error("plot");
    }
    return 0;
}

static int cmd_plot(int argc, char **argv)
{
    plot_args a;
    int rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc;
#ifndef VEM_WITH_CAIRO
    cli_error("plot: this vem was built without cairo (%s): install libcairo2-dev "
              "(sh tools/install-deps.sh) and configure again (cmake -S . -B build && cmake "
              "--build build)",
              VEM_CAIRO_WHY);
    return CLI_EXIT_USAGE;
#else
    if (plot_format_of(a.output, &a.format) != 0) {
        cli_error("plot: -o %s: the name must end in .png, .svg or .pdf", a.output);
        return cli_usage_error("plot");
    }
    const plot_kind *k = find_plot_kind(a.kind);
    char model_kind[64] = "";
    if (k->input == PLOT_IN_MODEL) {
        vem_status s = vem_model_file_kind(a.model, model_kind, sizeof model_kind);
        if (s != VEM_OK)
            return cli_fail(s, a.model);
        char list[256];
        if (!kind_takes(k, model_kind)) {
            kinds_list(model_kind, list, sizeof list);
            if (list[0])
                cli_error("plot %s: %s is a '%s' model; the plots of a '%s' model are %s (bic "
                          "and trace read a fit's --json output)",
                          a.kind, a.model, model_kind, model_kind, list);
            else
                cli_error("plot %s: %s is a '%s' model, which vem plot does not draw; bic and "
                          "trace read a fit's --json output",
                          a.kind, a.model, model_kind);
            return CLI_EXIT_USAGE;
        }
    }
    json_t *out = json_object();
    if (!out)
        return cli_fail(VEM_ENOMEM, "plot");
    json_object_set_new(out, "model", model_kind[0] ? json_string(model_kind) : json_null());
    json_object_set_new(out, "plot", json_string(a.kind));
    rc = k->fn(&a, out);
    if (rc == 0) {
        static const char *const fmt[] = {"png", "svg", "pdf"};
        json_object_set_new(out, "output", json_string(a.output));
        json_object_set_new(out, "format", json_string(fmt[a.format]));
        json_object_set_new(out, "units", json_string(a.format == PLOT_PNG ? "pixels" : "points"));
        if (a.json) {
            rc = cli_json_emit(out);
            out = NULL;
        } else {
            printf("%s written to %s (%g x %g %s)\n", a.kind, a.output,
                   json_number_value(json_object_get(out, "width")),
                   json_number_value(json_object_get(out, "height")),
                   a.format == PLOT_PNG ? "pixels" : "points");
        }
    }
    json_decref(out);
    return rc;
#endif
}

const cli_verb cli_plot = {
    cmd_plot, "KIND MODEL [DATA] -o FILE.png|svg|pdf [options]",
    "Draw a picture of a model or of a fit into FILE: PNG (sizes in pixels), SVG or\n"
    "PDF (sizes in points), chosen by its name, drawn with cairo (docs/plots.md).\n"
    "Colours: the Okabe-Ito palette (safe for colour-blind readers); axes in the\n"
    "data's units and column names. KIND is one of:\n" PLOT_KINDS(
        PLOT_HELP_LINE) "--json: what was drawn (each panel's frame, ranges, ticks and names; the\n"
                        "kind's numbers) as one JSON object.",
    plot_tables, NULL};
