/*
 * cli/plot_draw.c — the drawing of `vem plot` on cairo (cli/plot.h): canvases written
 * atomically to PNG, SVG or PDF, panels with nice ticks, text, markers, legends and the
 * Okabe-Ito palette.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>

#include "cli.h"
#include "plot.h"

/* Orange, sky blue, bluish green, blue, vermillion, reddish purple, yellow, black: yellow
 * late because it is faint on white, black last because the axes and text are near it. */
const unsigned plot_palette[PLOT_N_COLOURS] = {0xE69F00, 0x56B4E9, 0x009E73, 0x0072B2,
                                               0xD55E00, 0xCC79A7, 0xF0E442, 0x000000};

/* Text, frames, ticks and the grid. */
#define INK 0x222222
#define FRAME 0x555555
#define GRID 0xEBEBEB

unsigned plot_colour(size_t i)
{
    return plot_palette[i % PLOT_N_COLOURS];
}

const char *plot_hex(unsigned rgb, char buf[8])
{
    snprintf(buf, 8, "#%06X", rgb & 0xFFFFFFu);
    return buf;
}

unsigned plot_tint(unsigned rgb, double t)
{
    unsigned out = 0;
    for (int sh = 16; sh >= 0; sh -= 8) {
        double v = (double)((rgb >> sh) & 0xFF);
        unsigned m = (unsigned)lround(255 - t * (255 - v));
        out |= m << sh;
    }
    return out;
}

void plot_rgb(plot_canvas *c, unsigned rgb)
{
    cairo_set_source_rgb(c->cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                         (rgb & 0xFF) / 255.0);
}

int plot_format_of(const char *path, plot_format *f)
{
    static const struct {
        const char *ext;
        plot_format f;
    } exts[] = {{".png", PLOT_PNG}, {".svg", PLOT_SVG}, {".pdf", PLOT_PDF}};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (n <= 4)
            break;
        int same = 1;
        for (size_t j = 0; j < 4; j++)
            same &= tolower((unsigned char)path[n - 4 + j]) == exts[i].ext[j];
        if (same) {
            *f = exts[i].f;
            return 0;
        }
    }
    return -1;
}

/* ---- canvas ---- */

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int len)
{
    plot_canvas *c = closure;
    if (fwrite(data, 1, len, c->fp) != len) {
        c->write_failed = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

int plot_canvas_open(plot_canvas *c, const char *path, plot_format format, double width,
                     double height)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->format = format;
    c->width = width;
    c->height = height;
    /* About 12 at 640 x 480, growing with the square root of the area. */
    double f = 12 * sqrt(width * height / (640.0 * 480.0));
    c->font = f < 9 ? 9 : f > 18 ? 18 : f;
    c->fp = vem_output_open(path, &c->tmp);
    if (!c->fp)
        return cli_fail(VEM_EIO, path);
    switch (format) {
    case PLOT_PNG:
        c->surface =
            cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)lround(width), (int)lround(height));
        break;
    case PLOT_SVG:
        c->surface = cairo_svg_surface_create_for_stream(write_stream, c, width, height);
        break;
    case PLOT_PDF:
        c->surface = cairo_pdf_surface_create_for_stream(write_stream, c, width, height);
        break;
    }
    c->cr = cairo_create(c->surface);
    c->panels = json_array();
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS || !c->panels) {
        cli_error("%s: cannot draw: %s", path, cairo_status_to_string(cairo_status(c->cr)));
        plot_canvas_close(c, 1);
        return CLI_EXIT_INPUT;
    }
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_select_font_face(c->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_line_join(c->cr, CAIRO_LINE_JOIN_ROUND);
    return 0;
}

int plot_canvas_close(plot_canvas *c, int failed)
{
    cairo_status_t st = CAIRO_STATUS_SUCCESS;
    if (c->cr) {
        st = cairo_status(c->cr);
        cairo_destroy(c->cr);
    }
    if (c->surface) {
        if (!failed && st == CAIRO_STATUS_SUCCESS && c->format == PLOT_PNG)
            st = cairo_surface_write_to_png_stream(c->surface, write_stream, c);
        cairo_surface_finish(c->surface);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(c->surface);
        cairo_surface_destroy(c->surface);
    }
    json_decref(c->panels);
    int rc = 0;
    if (!failed && st != CAIRO_STATUS_SUCCESS && !c->write_failed) {
        cli_error("%s: cannot draw: %s", c->path, cairo_status_to_string(st));
        rc = CLI_EXIT_INPUT;
    }
    if (c->fp) {
        int bad = failed || rc != 0 || st != CAIRO_STATUS_SUCCESS || c->write_failed;
        vem_status s = vem_output_commit(c->fp, c->tmp, c->path, bad);
        if (s != VEM_OK && !failed && rc == 0)
            rc = cli_fail(s, c->path);
        else if (bad && !failed && rc == 0)
            rc = cli_fail(VEM_EIO, c->path);
    }
    /* Cairo's caches (fonts, glyphs) and fontconfig's configuration: released, so that leak
     * checkers see none (one picture per process; fontconfig starts again if asked). */
    cairo_debug_reset_static_data();
    FcFini();
    memset(c, 0, sizeof *c);
    return rc;
}

/* ---- panels ---- */

void plot_panel_ranges(plot_panel *p, double xmin, double xmax, double ymin, double ymax,
                       unsigned flags)
{
    plot_axis_range(xmin, xmax, flags & PLOT_X_EXACT ? 0 : 0.04, &p->xlo, &p->xhi);
    plot_axis_range(ymin, ymax, flags & PLOT_Y_EXACT ? 0 : 0.04, &p->ylo, &p->yhi);
    plot_nice_ticks(p->xlo, p->xhi, 6, (flags & PLOT_X_INTEGER) != 0, &p->xt);
    plot_nice_ticks(p->ylo, p->yhi, 6, (flags & PLOT_Y_INTEGER) != 0, &p->yt);
}

double plot_px(const plot_panel *p, double x)
{
    return p->x0 + (x - p->xlo) / (p->xhi - p->xlo) * (p->x1 - p->x0);
}

double plot_py(const plot_panel *p, double y)
{
    return p->y1 - (y - p->ylo) / (p->yhi - p->ylo) * (p->y1 - p->y0);
}

/* ---- text ---- */

void plot_text(plot_canvas *c, double x, double y, const char *text, double ha, double va,
               double size, double angle)
{
    cairo_t *cr = c->cr;
    cairo_text_extents_t e;
    cairo_save(cr);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text, &e);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -angle);
    /* The cap height of a sans-serif face is about 0.72 of its size. */
    cairo_move_to(cr, -ha * e.x_advance, (1 - va) * 0.72 * size);
    cairo_show_text(cr, text);
    cairo_restore(cr);
}

double plot_text_width(plot_canvas *c, const char *text, double size)
{
    cairo_text_extents_t e;
    cairo_save(c->cr);
    cairo_set_font_size(c->cr, size);
    cairo_text_extents(c->cr, text, &e);
    cairo_restore(c->cr);
    return e.x_advance;
}

const char *plot_number(double v, char *buf, size_t size)
{
    for (int p = 1; p <= 10; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (fabs(strtod(buf, NULL) - v) <= 1e-6 * fabs(v) || p == 10)
            break;
    }
    return buf;
}

/* Tick value i of t. */
static const char *tick_label(const plot_ticks *t, size_t i, char *buf, size_t size)
{
    double v = t->v[i];
    if (t->step >= 1e6 || (t->step < 1e-4 && t->step > 0))
        return plot_number(v, buf, size);
    snprintf(buf, size, "%.*f", t->decimals, v);
    return buf;
}

double plot_ytick_width(plot_canvas *c, const plot_panel *p, double s)
{
    double w = 0;
    char buf[64];
    for (size_t i = 0; i < p->yt.n; i++) {
        double t = plot_text_width(c, tick_label(&p->yt, i, buf, sizeof buf), s);
        w = t > w ? t : w;
    }
    return w;
}

static json_t *ticks_json(const plot_ticks *t)
{
    json_t *a = json_array();
    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(a, json_real(t->v[i]));
    return a;
}

static json_t *pair_json(double a, double b)
{
    json_t *j = json_array();
    json_array_append_new(j, json_real(a));
    json_array_append_new(j, json_real(b));
    return j;
}

void plot_axes(plot_canvas *c, const plot_panel *p, const char *xname, const char *yname,
               unsigned show, double s)
{
    cairo_t *cr = c->cr;
    double f = c->font, lw = f / 12, tick = 0.35 * f;
    char buf[64];
    cairo_save(cr);
    /* The grid under the data: at the ticks, inside the frame. */
    plot_rgb(c, GRID);
    cairo_set_line_width(cr, lw);
    for (size_t i = 0; i < p->xt.n; i++) {
        double x = plot_px(p, p->xt.v[i]);
        cairo_move_to(cr, x, p->y0);
        cairo_line_to(cr, x, p->y1);
    }
    for (size_t i = 0; i < p->yt.n; i++) {
        double y = plot_py(p, p->yt.v[i]);
        cairo_move_to(cr, p->x0, y);
        cairo_line_to(cr, p->x1, y);
    }
    cairo_stroke(cr);
    plot_rgb(c, FRAME);
    cairo_rectangle(cr, p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
    for (size_t i = 0; i < p->xt.n; i++) {
        double x = plot_px(p, p->xt.v[i]);
        cairo_move_to(cr, x, p->y1);
        cairo_line_to(cr, x, p->y1 + tick);
    }
    for (size_t i = 0; i < p->yt.n; i++) {
        double y = plot_py(p, p->yt.v[i]);
        cairo_move_to(cr, p->x0, y);
        cairo_line_to(cr, p->x0 - tick, y);
    }
    for (size_t i = 0; (show & PLOT_AXIS_X_TOP) && i < p->xt.n; i++) {
        double x = plot_px(p, p->xt.v[i]);
        cairo_move_to(cr, x, p->y0);
        cairo_line_to(cr, x, p->y0 - tick);
    }
    for (size_t i = 0; (show & PLOT_AXIS_Y_RIGHT) && i < p->yt.n; i++) {
        double y = plot_py(p, p->yt.v[i]);
        cairo_move_to(cr, p->x1, y);
        cairo_line_to(cr, p->x1 + tick, y);
    }
    cairo_stroke(cr);
    plot_rgb(c, INK);
    double xl_bottom = p->y1 + tick, yl_left = p->x0 - tick;
    if (show & PLOT_AXIS_X_LABELS) {
        for (size_t i = 0; i < p->xt.n; i++)
            plot_text(c, plot_px(p, p->xt.v[i]), p->y1 + tick + 0.25 * f,
                      tick_label(&p->xt, i, buf, sizeof buf), 0.5, 0, s, 0);
        xl_bottom = p->y1 + tick + 0.25 * f + s;
    }
    if (show & PLOT_AXIS_Y_LABELS) {
        for (size_t i = 0; i < p->yt.n; i++)
            plot_text(c, p->x0 - tick - 0.25 * f, plot_py(p, p->yt.v[i]),
                      tick_label(&p->yt, i, buf, sizeof buf), 1, 0.5, s, 0);
        yl_left = p->x0 - tick - 0.25 * f - plot_ytick_width(c, p, s);
    }
    for (size_t i = 0; (show & PLOT_AXIS_X_TOP) && i < p->xt.n; i++)
        plot_text(c, plot_px(p, p->xt.v[i]), p->y0 - tick - 0.25 * f,
                  tick_label(&p->xt, i, buf, sizeof buf), 0.5, 1, s, 0);
    for (size_t i = 0; (show & PLOT_AXIS_Y_RIGHT) && i < p->yt.n; i++)
        plot_text(c, p->x1 + tick + 0.25 * f, plot_py(p, p->yt.v[i]),
                  tick_label(&p->yt, i, buf, sizeof buf), 0, 0.5, s, 0);
    if (xname && *xname)
        plot_text(c, 0.5 * (p->x0 + p->x1), xl_bottom + 0.45 * f, xname, 0.5, 0, f, 0);
    if (yname && *yname)
        plot_text(c, yl_left - 0.45 * f, 0.5 * (p->y0 + p->y1), yname, 0.5, 1, f, (PLOT_PI / 2));
    cairo_restore(cr);

    json_t *j = json_object();
    json_t *frame = json_array();
    json_array_append_new(frame, json_real(p->x0));
    json_array_append_new(frame, json_real(p->y0));
    json_array_append_new(frame, json_real(p->x1));
    json_array_append_new(frame, json_real(p->y1));
    json_object_set_new(j, "frame", frame);
    json_object_set_new(j, "x_label", json_string(xname ? xname : ""));
    json_object_set_new(j, "y_label", json_string(yname ? yname : ""));
    json_object_set_new(j, "x_range", pair_json(p->xlo, p->xhi));
    json_object_set_new(j, "y_range", pair_json(p->ylo, p->yhi));
    json_object_set_new(j, "x_ticks", ticks_json(&p->xt));
    json_object_set_new(j, "y_ticks", ticks_json(&p->yt));
    json_array_append_new(c->panels, j);
}

void plot_clip(plot_canvas *c, const plot_panel *p)
{
    cairo_save(c->cr);
    cairo_rectangle(c->cr, p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0);
    cairo_clip(c->cr);
}

void plot_unclip(plot_canvas *c)
{
    cairo_restore(c->cr);
}

void plot_title(plot_canvas *c, const char *title)
{
    if (!title || !*title)
        return;
    plot_rgb(c, INK);
    cairo_select_font_face(c->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    plot_text(c, 0.5 * c->width, 0.7 * c->font, title, 0.5, 0, 1.15 * c->font, 0);
    cairo_select_font_face(c->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

void plot_single_layout(plot_canvas *c, plot_panel *p, const char *title, double legend_w)
{
    double f = c->font, s = 0.9 * f;
    double top = title && *title ? 2.6 * f : 1.0 * f;
    double left = 0.5 * f + f + 0.45 * f + plot_ytick_width(c, p, s) + 0.25 * f + 0.35 * f;
    double bottom = 0.35 * f + 0.25 * f + s + 0.45 * f + f + 0.5 * f;
    double right = legend_w > 0 ? legend_w + 1.5 * f : 1.2 * f;
    p->x0 = left;
    p->x1 = c->width - right;
    p->y0 = top;
    p->y1 = c->height - bottom;
    if (p->x1 < p->x0 + 10)
        p->x1 = p->x0 + 10;
    if (p->y1 < p->y0 + 10)
        p->y1 = p->y0 + 10;
    plot_title(c, title);
}

/* ---- markers and legends ---- */

void plot_marker(plot_canvas *c, double x, double y, int shape, double r, unsigned rgb, int open)
{
    cairo_t *cr = c->cr;
    plot_rgb(c, rgb);
    switch (shape) {
    case PLOT_SQUARE: cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r); break;
    case PLOT_TRIANGLE:
    case PLOT_TRIANGLE_DOWN: {
        double s = shape == PLOT_TRIANGLE ? 1 : -1;
        cairo_move_to(cr, x, y - s * 1.15 * r);
        cairo_line_to(cr, x + r, y + s * 0.7 * r);
        cairo_line_to(cr, x - r, y + s * 0.7 * r);
        cairo_close_path(cr);
        break;
    }
    case PLOT_DIAMOND:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + 1.2 * r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    case PLOT_PLUS:
    case PLOT_CROSS: {
        double a = shape == PLOT_PLUS ? 0 : PLOT_PI / 4;
        for (int i = 0; i < 2; i++) {
            double t = a + i * (PLOT_PI / 2);
            cairo_move_to(cr, x - 1.2 * r * cos(t), y - 1.2 * r * sin(t));
            cairo_line_to(cr, x + 1.2 * r * cos(t), y + 1.2 * r * sin(t));
        }
        cairo_set_line_width(cr, r / 2.5 > 1 ? r / 2.5 : 1);
        cairo_stroke(cr);
        return;
    }
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * PLOT_PI);
        break;
    }
    if (open) {
        cairo_set_line_width(cr, r / 3 > 1 ? r / 3 : 1);
        cairo_stroke(cr);
    } else {
        cairo_fill(cr);
    }
}

/* The swatch's width of a key. */
static double key_swatch(const plot_canvas *c, const plot_key *k)
{
    return k->style == PLOT_KEY_LINE ? 2.2 * c->font : 1.2 * c->font;
}

double plot_legend_width(plot_canvas *c, const plot_key *keys, size_t n, const char *heading)
{
    double w = heading ? plot_text_width(c, heading, c->font) : 0;
    for (size_t i = 0; i < n; i++) {
        double t = key_swatch(c, &keys[i]) + 0.4 * c->font +
                   plot_text_width(c, keys[i].label, 0.9 * c->font);
        w = t > w ? t : w;
    }
    return w;
}

void plot_legend(plot_canvas *c, double x, double y, const plot_key *keys, size_t n,
                 const char *heading)
{
    cairo_t *cr = c->cr;
    double f = c->font, row = 1.4 * f;
    cairo_save(cr);
    if (heading) {
        plot_rgb(c, INK);
        plot_text(c, x, y, heading, 0, 0, f, 0);
        y += row;
    }
    for (size_t i = 0; i < n; i++) {
        const plot_key *k = &keys[i];
        double sw = key_swatch(c, k), ym = y + 0.45 * f;
        switch (k->style) {
        case PLOT_KEY_BOX:
            plot_rgb(c, k->rgb);
            cairo_rectangle(cr, x, y, sw * 0.8, 0.9 * f);
            cairo_fill(cr);
            break;
        case PLOT_KEY_POINT:
            plot_marker(c, x + 0.4 * sw, ym, k->marker < 0 ? PLOT_CIRCLE : k->marker, 0.38 * f,
                        k->rgb, k->open);
            break;
        case PLOT_KEY_LINE:
            plot_rgb(c, k->rgb);
            cairo_set_line_width(cr, f / 6);
            if (k->dashed) {
                const double dash[2] = {0.45 * f, 0.25 * f};
                cairo_set_dash(cr, dash, 2, 0);
            }
            cairo_move_to(cr, x, ym);
            cairo_line_to(cr, x + sw - 0.2 * f, ym);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            if (k->marker >= 0)
                plot_marker(c, x + 0.5 * (sw - 0.2 * f), ym, k->marker, 0.3 * f, k->rgb, k->open);
            break;
        }
        plot_rgb(c, INK);
        plot_text(c, x + sw + 0.4 * f, ym, k->label, 0, 0.5, 0.9 * f, 0);
        y += row;
    }
    cairo_restore(cr);
}
