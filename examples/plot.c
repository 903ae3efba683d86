/* ---------------------------------------------------------------------------
 * The `eegnn` program's plots (examples/, not part of eegnn.h; built on its
 * public API). Plots as standalone SVG files (SVG 1.1, no scripts, no external fonts or
 * styles), for looking at a training or a search in a browser: learning
 * curves, predicted vs true values, a confusion matrix and search results.
 *
 * Every writer builds the whole document in memory and writes it atomically
 * (a temporary file renamed over `path`), so a failed call never leaves a
 * half-written file. Text is XML-escaped. Non-finite values (NaN, inf) are
 * left out of the drawing (a line is broken at them). Axis ticks are "nice"
 * numbers (1, 2 or 5 times a power of ten, Heckbert's Graphics Gems
 * labelling). All writers: Errors: EEGNN_ERR_ARG for NULL or inconsistent
 * arguments, EEGNN_ERR_MEMORY, EEGNN_ERR_IO when the file cannot be written.
 * Thread safety: reentrant.
 * ------------------------------------------------------------------------- */

#ifndef EEGNN_APP_PLOT_C
#define EEGNN_APP_PLOT_C
#include <math.h>

#include "app.h"

/* Learning curves of one run: a loss panel (train_loss and valid_loss per
 * epoch, either may be NULL) and, when metric is not NULL, a second panel
 * with the validation metric per epoch named metric_name (e.g.
 * "balanced_accuracy"). Arrays hold n_epochs values for epochs 1..n_epochs.
 * best_epoch (1-based; 0: none) is marked with a vertical line. title may
 * be NULL. */
eegnn_status eegnn_plot_learning_curves(const char *path, const char *title, int n_epochs,
                                        const double *train_loss, const double *valid_loss,
                                        const double *metric, const char *metric_name, int best_epoch);

/* Learning curves read from a metrics.json written by eegnn_train: its
 * "history" (train_loss, valid.loss and valid.<metric> per epoch) and
 * "best_epoch". metric NULL: "balanced_accuracy" for a classification run
 * ("n_classes" > 0), "pearson_r" for a regression. Errors as above, plus
 * those of eegnn_json_read and EEGNN_ERR_FORMAT for a file without history. */
eegnn_status eegnn_plot_metrics_json(const char *metrics_json, const char *path, const char *metric);

/* Predicted vs true values of a regression: a square scatter plot of
 * (y_true[i], y_pred[i]), i < n, the identity line y = x, and Pearson's r,
 * the RMSE and n in the legend. label names the quantity with its unit
 * ("age (years)"); NULL: "value". */
eegnn_status eegnn_plot_pred_vs_true(const char *path, const char *title, const double *y_true,
                                     const double *y_pred, int n, const char *label);

/* Confusion matrix heatmap as scikit-learn's ConfusionMatrixDisplay draws
 * it: rows are true labels, columns predicted labels; counts is
 * (n_classes, n_classes) row-major (counts[i * n_classes + j] windows of
 * class i predicted as j). Each cell shows its count and its share of the
 * row (the recall on the diagonal); the colour follows the row share, so
 * rare classes read as clearly as common ones. class_names may be NULL
 * (0, 1, ...). */
eegnn_status eegnn_plot_confusion_matrix(const char *path, const char *title, const int *counts,
                                         int n_classes, const char *const *class_names);

/* Search results: one row per configuration in the order given (pass them
 * ranked, best first), labelled labels[i], with a dot at mean[i], an error
 * bar of +- std[i] (std may be NULL) and, when fold_values is not NULL, the
 * n_folds single values fold_values[i * n_folds + k] as small open circles.
 * metric_name labels the axis; higher_is_better is written next to it. */
eegnn_status eegnn_plot_search_results(const char *path, const char *title, int n,
                                       const char *const *labels, const double *mean, const double *std,
                                       const double *fold_values, int n_folds, const char *metric_name,
                                       int higher_is_better);

/* SVG plots (declared above). Coordinates are in SVG user units (pixels). */

#define EEGNN__FONT "DejaVu Sans, Helvetica, Arial, sans-serif"
#define EEGNN__C_TRAIN "#1f77b4"
#define EEGNN__C_VALID "#ff7f0e"
#define EEGNN__C_METRIC "#2ca02c"

typedef struct plot_axis {
    double lo, hi, step; /* range and tick spacing */
    int decimals;        /* digits after the point in tick labels; -1: %g */
} plot_axis;

/* A plotting area: the data rectangle in pixels and its two axes. */
typedef struct plot_panel {
    double x0, y0, w, h;
    plot_axis ax, ay;
} plot_panel;

static int plot_finite(double v) { return v == v && fabs(v) <= 1e300; }

/* A "nice" number near x: 1, 2, 5 or 10 times a power of ten, rounded or
 * taken at or above x (Heckbert, "Nice numbers for graph labels", Graphics
 * Gems, 1990). */
static double plot_nice_number(double x, int round_it) {
    double e = floor(log10(x)), f = x / pow(10.0, e), nf;
    if (round_it)
        nf = f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0;
    else
        nf = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
    return nf * pow(10.0, e);
}

/* Fits an axis with about n_ticks ticks around [mn, mx]; integer_steps
 * keeps the spacing at 1 or more (epochs). */
static void plot_axis_fit(plot_axis *a, double mn, double mx, int n_ticks, int integer_steps) {
    double step, big;
    if (!(plot_finite(mn) && plot_finite(mx) && mn <= mx)) {
        mn = 0.0;
        mx = 1.0;
    }
    if (mx - mn <= 1e-9 * APP_MAX(fabs(mn), fabs(mx))) {
        double pad = mn == 0.0 ? 1.0 : 0.1 * fabs(mn);
        mn -= pad;
        mx += pad;
    }
    step = plot_nice_number(plot_nice_number(mx - mn, 0) / (n_ticks - 1), 1);
    if (integer_steps && step < 1.0) step = 1.0;
    a->step = step;
    a->lo = floor(mn / step + 1e-9) * step;
    a->hi = ceil(mx / step - 1e-9) * step;
    if (a->hi <= a->lo) a->hi = a->lo + step;
    big = APP_MAX(fabs(a->lo), fabs(a->hi));
    if (big >= 1e6 || step < 1e-5)
        a->decimals = -1;
    else
        a->decimals = (int)APP_MAX(0.0, -floor(log10(step) + 1e-9));
}

static void plot_axis_label(const plot_axis *a, double v, char *buf, size_t size) {
    if (fabs(v) < 1e-9 * a->step) v = 0.0; /* no "-0.0" */
    if (a->decimals < 0)
        snprintf(buf, size, "%g", v);
    else
        snprintf(buf, size, "%.*f", a->decimals, v);
}

static double plot_px(const plot_panel *p, double v) { return p->x0 + (v - p->ax.lo) / (p->ax.hi - p->ax.lo) * p->w; }
static double plot_py(const plot_panel *p, double v) {
    return p->y0 + p->h - (v - p->ay.lo) / (p->ay.hi - p->ay.lo) * p->h;
}

/* Appends text with XML's five special characters escaped. */
static void plot_xml(app_buf *sb, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': app_buf_printf(sb, "&amp;"); break;
        case '<': app_buf_printf(sb, "&lt;"); break;
        case '>': app_buf_printf(sb, "&gt;"); break;
        case '"': app_buf_printf(sb, "&quot;"); break;
        case '\'': app_buf_printf(sb, "&apos;"); break;
        default:
            /* control characters other than tab/newline are not allowed in XML 1.0 */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') app_buf_append(sb, " ", 1);
            else app_buf_append(sb, s, 1);
        }
    }
}

/* <text> element; anchor is "start", "middle" or "end"; extra is added to
 * the attributes as is (e.g. a transform). */
static void svg_text(app_buf *sb, double x, double y, const char *anchor, double size, const char *extra,
                            const char *text) {
    app_buf_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%g\"%s%s>", x, y, anchor, size,
                     extra ? " " : "", extra ? extra : "");
    plot_xml(sb, text);
    app_buf_printf(sb, "</text>\n");
}

static void svg_begin(app_buf *sb, double w, double h, const char *title) {
    app_buf_printf(sb,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
                     "viewBox=\"0 0 %.0f %.0f\" font-family=\"" EEGNN__FONT "\" fill=\"#222\">\n",
                     w, h, w, h);
    if (title) {
        app_buf_printf(sb, "<title>");
        plot_xml(sb, title);
        app_buf_printf(sb, "</title>\n");
    }
    app_buf_printf(sb, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", w, h);
    if (title) { /* shrink a long title to the width (bold glyphs are about 0.66 em wide) */
        double size = APP_MIN(16.0, (w - 20) / (0.66 * (double)APP_MAX(strlen(title), (size_t)1)));
        svg_text(sb, w / 2, 28, "middle", APP_MAX(size, 8.0), "font-weight=\"bold\"", title);
    }
}

/* Writes the finished document atomically. */
static eegnn_status svg_finish(app_buf *sb, const char *path) {
    eegnn_status st;
    app_buf_printf(sb, "</svg>\n");
    if (sb->failed || !sb->p) {
        app_buf_free(sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory building the plot", path);
    }
    st = app_buf_write(sb, path);
    app_buf_free(sb);
    return st;
}

/* Grid, frame, ticks, tick labels and axis labels of a panel. */
static void svg_axes(app_buf *sb, const plot_panel *p, const char *xlabel, const char *ylabel) {
    char buf[64];
    double v;
    int k;
    app_buf_printf(sb, "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
    for (k = 0, v = p->ax.lo; v <= p->ax.hi + 1e-9 * p->ax.step && k < 100; k++, v = p->ax.lo + k * p->ax.step)
        app_buf_printf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", plot_px(p, v), p->y0,
                         plot_px(p, v), p->y0 + p->h);
    for (k = 0, v = p->ay.lo; p->ay.step > 0 && v <= p->ay.hi + 1e-9 * p->ay.step && k < 100;
         k++, v = p->ay.lo + k * p->ay.step)
        app_buf_printf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->x0, plot_py(p, v),
                         p->x0 + p->w, plot_py(p, v));
    app_buf_printf(sb, "</g>\n");
    app_buf_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n",
                     p->x0, p->y0, p->w, p->h);
    app_buf_printf(sb, "<g stroke=\"#444\">\n");
    for (k = 0, v = p->ax.lo; v <= p->ax.hi + 1e-9 * p->ax.step && k < 100; k++, v = p->ax.lo + k * p->ax.step)
        app_buf_printf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", plot_px(p, v),
                         p->y0 + p->h, plot_px(p, v), p->y0 + p->h + 5);
    for (k = 0, v = p->ay.lo; p->ay.step > 0 && v <= p->ay.hi + 1e-9 * p->ay.step && k < 100;
         k++, v = p->ay.lo + k * p->ay.step)
        app_buf_printf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p->x0 - 5, plot_py(p, v),
                         p->x0, plot_py(p, v));
    app_buf_printf(sb, "</g>\n");
    for (k = 0, v = p->ax.lo; v <= p->ax.hi + 1e-9 * p->ax.step && k < 100; k++, v = p->ax.lo + k * p->ax.step) {
        plot_axis_label(&p->ax, v, buf, sizeof buf);
        svg_text(sb, plot_px(p, v), p->y0 + p->h + 19, "middle", 11, NULL, buf);
    }
    for (k = 0, v = p->ay.lo; p->ay.step > 0 && v <= p->ay.hi + 1e-9 * p->ay.step && k < 100;
         k++, v = p->ay.lo + k * p->ay.step) {
        plot_axis_label(&p->ay, v, buf, sizeof buf);
        svg_text(sb, p->x0 - 8, plot_py(p, v) + 4, "end", 11, NULL, buf);
    }
    if (xlabel) svg_text(sb, p->x0 + p->w / 2, p->y0 + p->h + 40, "middle", 13, NULL, xlabel);
    if (ylabel) {
        char tr[96];
        double x = p->x0 - 52, y = p->y0 + p->h / 2;
        snprintf(tr, sizeof tr, "transform=\"rotate(-90 %.1f %.1f)\"", x, y);
        svg_text(sb, x, y, "middle", 13, tr, ylabel);
    }
}

/* A polyline through (i + 1, v[i]), broken at non-finite values, with
 * markers when there are few points. */
static void svg_curve(app_buf *sb, const plot_panel *p, const double *v, int n, const char *color,
                             const char *dash) {
    int i, pen_down = 0;
    app_buf_printf(sb, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s d=\"", color,
                     dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (i = 0; i < n; i++) {
        if (!plot_finite(v[i])) {
            pen_down = 0;
            continue;
        }
        app_buf_printf(sb, "%s%.1f %.1f ", pen_down ? "L" : "M", plot_px(p, i + 1.0), plot_py(p, v[i]));
        pen_down = 1;
    }
    app_buf_printf(sb, "\"/>\n");
    if (n > 60) return;
    app_buf_printf(sb, "<g fill=\"%s\">\n", color);
    for (i = 0; i < n; i++)
        if (plot_finite(v[i]))
            app_buf_printf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", plot_px(p, i + 1.0),
                             plot_py(p, v[i]));
    app_buf_printf(sb, "</g>\n");
}

/* Legend box in the top right corner of a panel. */
static void svg_legend(app_buf *sb, const plot_panel *p, int n, const char *const *names,
                              const char *const *colors) {
    int i;
    size_t longest = 0;
    double w, x, y = p->y0 + 8;
    for (i = 0; i < n; i++) longest = APP_MAX(longest, strlen(names[i]));
    w = 36 + 7.2 * (double)longest;
    x = p->x0 + p->w - w - 8;
    app_buf_printf(sb,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
                     "fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n",
                     x, y, w, 8 + 18.0 * n);
    for (i = 0; i < n; i++) {
        double yy = y + 16 + 18.0 * i;
        if (colors[i])
            app_buf_printf(sb,
                             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                             "stroke-width=\"2\"/>\n",
                             x + 6, yy - 4, x + 24, yy - 4, colors[i]);
        svg_text(sb, x + (colors[i] ? 28 : 8), yy, "start", 12, NULL, names[i]);
    }
}

static void plot_range(const double *v, int n, double *mn, double *mx) {
    int i;
    for (i = 0; v && i < n; i++) {
        if (!plot_finite(v[i])) continue;
        if (v[i] < *mn) *mn = v[i];
        if (v[i] > *mx) *mx = v[i];
    }
}

/* Vertical dashed line at the best epoch. */
static void svg_best_epoch(app_buf *sb, const plot_panel *p, int best_epoch) {
    char label[48];
    double x;
    if (best_epoch < 1 || best_epoch < p->ax.lo || best_epoch > p->ax.hi) return;
    x = plot_px(p, best_epoch);
    app_buf_printf(sb,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" "
                     "stroke-dasharray=\"4 3\"/>\n",
                     x, p->y0, x, p->y0 + p->h);
    snprintf(label, sizeof label, "best epoch %d", best_epoch);
    svg_text(sb, x + 4, p->y0 + p->h - 6, "start", 11, "fill=\"#555\"", label);
}

eegnn_status eegnn_plot_learning_curves(const char *path, const char *title, int n_epochs,
                                        const double *train_loss, const double *valid_loss,
                                        const double *metric, const char *metric_name, int best_epoch) {
    app_buf sb = {0, 0, 0, 0};
    plot_panel lp, mp;
    double mn = INFINITY, mx = -INFINITY, w = metric && (train_loss || valid_loss) ? 1020.0 : 520.0, h = 420.0;
    const char *names[2], *colors[2];
    int n_leg = 0;
    if (!path || n_epochs < 1 || (!train_loss && !valid_loss && !metric))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_plot_learning_curves: %s: no path or no curve to draw",
                               path ? path : "(null)");
    svg_begin(&sb, w, h, title);

    memset(&lp, 0, sizeof lp);
    lp.x0 = 80;
    lp.y0 = 50;
    lp.w = 400;
    lp.h = 300;
    plot_axis_fit(&lp.ax, 1.0, (double)APP_MAX(n_epochs, 2), 8, 1);
    lp.ax.lo = APP_MAX(lp.ax.lo, 0.0);
    plot_range(train_loss, n_epochs, &mn, &mx);
    plot_range(valid_loss, n_epochs, &mn, &mx);
    plot_axis_fit(&lp.ay, mn, mx, 6, 0);
    if (train_loss || valid_loss) {
        svg_axes(&sb, &lp, "epoch", "loss");
        svg_best_epoch(&sb, &lp, best_epoch);
        if (train_loss) {
            svg_curve(&sb, &lp, train_loss, n_epochs, EEGNN__C_TRAIN, NULL);
            names[n_leg] = "train loss";
            colors[n_leg++] = EEGNN__C_TRAIN;
        }
        if (valid_loss) {
            svg_curve(&sb, &lp, valid_loss, n_epochs, EEGNN__C_VALID, NULL);
            names[n_leg] = "valid loss";
            colors[n_leg++] = EEGNN__C_VALID;
        }
        svg_legend(&sb, &lp, n_leg, names, colors);
    }
    if (metric) {
        char label[96];
        mp = lp;
        if (train_loss || valid_loss) mp.x0 = lp.x0 + lp.w + 110;
        mn = INFINITY;
        mx = -INFINITY;
        plot_range(metric, n_epochs, &mn, &mx);
        plot_axis_fit(&mp.ay, mn, mx, 6, 0);
        snprintf(label, sizeof label, "valid %s", metric_name ? metric_name : "metric");
        svg_axes(&sb, &mp, "epoch", label);
        svg_best_epoch(&sb, &mp, best_epoch);
        svg_curve(&sb, &mp, metric, n_epochs, EEGNN__C_METRIC, NULL);
        names[0] = label;
        colors[0] = EEGNN__C_METRIC;
        svg_legend(&sb, &mp, 1, names, colors);
    }
    return svg_finish(&sb, path);
}

eegnn_status eegnn_plot_metrics_json(const char *metrics_json, const char *path, const char *metric) {
    eegnn_json *doc;
    const eegnn_json *hist;
    double *v = NULL, n_classes = 0.0, best = 0.0;
    const char *model, *target;
    char title[512];
    int n, i;
    eegnn_status st;
    if (!metrics_json || !path) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_plot_metrics_json: NULL path");
    doc = eegnn_json_read(metrics_json);
    if (!doc) return EEGNN_ERR_FORMAT;
    hist = eegnn_json_get(doc, "history");
    if (!hist || hist->type != EEGNN_JSON_ARRAY || hist->n < 1) {
        eegnn_json_free(doc);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no \"history\" array of epochs", metrics_json);
    }
    n = hist->n;
    eegnn_json_get_number(doc, "n_classes", &n_classes);
    eegnn_json_get_number(doc, "best_epoch", &best);
    if (!metric) metric = n_classes > 0 ? "balanced_accuracy" : "pearson_r";
    v = (double *)app_calloc((size_t)n * 3, sizeof(double));
    if (!v) {
        eegnn_json_free(doc);
        return EEGNN_ERR_MEMORY;
    }
    for (i = 0; i < n; i++) {
        const eegnn_json *e = hist->items + i, *valid = eegnn_json_get(e, "valid");
        v[i] = v[n + i] = v[2 * n + i] = NAN;
        eegnn_json_get_number(e, "train_loss", v + i);
        if (valid) {
            eegnn_json_get_number(valid, "loss", v + n + i);
            eegnn_json_get_number(valid, metric, v + 2 * n + i);
        }
    }
    model = eegnn_json_get_string(doc, "model");
    target = eegnn_json_get_string(doc, "target");
    snprintf(title, sizeof title, "Learning curves: %s, %s", model ? model : "model", target ? target : "target");
    st = eegnn_plot_learning_curves(path, title, n, v, v + n, v + 2 * n, metric, (int)best);
    free(v);
    eegnn_json_free(doc);
    return st;
}

eegnn_status eegnn_plot_pred_vs_true(const char *path, const char *title, const double *y_true,
                                     const double *y_pred, int n, const char *label) {
    app_buf sb = {0, 0, 0, 0};
    plot_panel p;
    double mn = INFINITY, mx = -INFINITY, st = 0, sp = 0, stt = 0, spp = 0, stp = 0, se = 0, r, lo, hi, nn;
    char xl[160], yl[160], l0[128];
    int i, m = 0;
    if (!path || !y_true || !y_pred || n < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_plot_pred_vs_true: %s: no path or no points",
                               path ? path : "(null)");
    for (i = 0; i < n; i++) {
        double a = y_true[i], b = y_pred[i];
        if (!plot_finite(a) || !plot_finite(b)) continue;
        m++;
        st += a;
        sp += b;
        mn = APP_MIN(mn, APP_MIN(a, b));
        mx = APP_MAX(mx, APP_MAX(a, b));
    }
    nn = m ? (double)m : 1.0;
    for (i = 0; i < n; i++) { /* two-pass moments */
        double a = y_true[i], b = y_pred[i];
        if (!plot_finite(a) || !plot_finite(b)) continue;
        stt += (a - st / nn) * (a - st / nn);
        spp += (b - sp / nn) * (b - sp / nn);
        stp += (a - st / nn) * (b - sp / nn);
        se += (a - b) * (a - b);
    }
    r = stt > 0 && spp > 0 ? stp / sqrt(stt * spp) : NAN;
    svg_begin(&sb, 560, 600, title);
    memset(&p, 0, sizeof p);
    p.x0 = 90;
    p.y0 = 76;
    p.w = p.h = 440;
    plot_axis_fit(&p.ax, mn, mx, 7, 0);
    p.ay = p.ax;
    snprintf(xl, sizeof xl, "true %s", label ? label : "value");
    snprintf(yl, sizeof yl, "predicted %s", label ? label : "value");
    svg_axes(&sb, &p, xl, yl);
    lo = p.ax.lo;
    hi = p.ax.hi;
    app_buf_printf(&sb,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-width=\"1.5\" "
                     "stroke-dasharray=\"6 4\"/>\n",
                     plot_px(&p, lo), plot_py(&p, lo), plot_px(&p, hi), plot_py(&p, hi));
    app_buf_printf(&sb, "<g fill=\"" EEGNN__C_TRAIN "\" fill-opacity=\"%.2f\" stroke=\"none\">\n",
                     m > 2000 ? 0.25 : 0.55);
    for (i = 0; i < n; i++)
        if (plot_finite(y_true[i]) && plot_finite(y_pred[i]))
            app_buf_printf(&sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"/>\n", plot_px(&p, y_true[i]),
                             plot_py(&p, y_pred[i]), m > 2000 ? "2" : "3.5");
    app_buf_printf(&sb, "</g>\n");
    snprintf(l0, sizeof l0, "Pearson r = %.3f, RMSE = %.3g, n = %d; dashed: y = x", r, m ? sqrt(se / nn) : NAN, m);
    svg_text(&sb, p.x0 + p.w / 2, p.y0 - 14, "middle", 12, "fill=\"#444\"", l0);
    return svg_finish(&sb, path);
}

/* Sequential colour from white-blue (share 0) to dark blue (share 1), like
 * matplotlib's "Blues". */
static void plot_blues(double share, char *buf, size_t size) {
    static const double c0[3] = {247, 251, 255}, c1[3] = {8, 48, 107};
    double s = share < 0 ? 0 : share > 1 ? 1 : share;
    snprintf(buf, size, "#%02x%02x%02x", (int)(c0[0] + (c1[0] - c0[0]) * s + 0.5),
             (int)(c0[1] + (c1[1] - c0[1]) * s + 0.5), (int)(c0[2] + (c1[2] - c0[2]) * s + 0.5));
}

eegnn_status eegnn_plot_confusion_matrix(const char *path, const char *title, const int *counts,
                                         int n_classes, const char *const *class_names) {
    app_buf sb = {0, 0, 0, 0};
    double cell, x0, y0, w, h, label_w = 0, total = 0, correct = 0, recall_sum = 0;
    int i, j, n_present = 0, rotate;
    char buf[96], color[16];
    if (!path || !counts || n_classes < 1 || n_classes > 1000)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_plot_confusion_matrix: %s: no path, no counts or bad class count",
                               path ? path : "(null)");
    for (i = 0; i < n_classes * n_classes; i++)
        if (counts[i] < 0)
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_plot_confusion_matrix: %s: negative count at row %d column %d",
                                   path, i / n_classes, i % n_classes);
    for (i = 0; i < n_classes; i++) {
        double len;
        if (class_names && class_names[i])
            len = (double)strlen(class_names[i]);
        else {
            snprintf(buf, sizeof buf, "%d", i);
            len = (double)strlen(buf);
        }
        label_w = APP_MAX(label_w, 7.0 * len);
    }
    label_w = APP_MIN(label_w, 220.0);
    cell = APP_MAX(28.0, APP_MIN(90.0, 480.0 / n_classes));
    rotate = label_w > cell - 6;
    x0 = 60 + label_w;
    y0 = title ? 80 : 50;
    w = x0 + cell * n_classes + 120;
    if (w < 480.0) { /* room for the title and the subtitle; the matrix centred */
        x0 += (480.0 - w) / 2;
        w = 480.0;
    }
    h = y0 + cell * n_classes + (rotate ? label_w : 14) + 60;
    for (i = 0; i < n_classes; i++) {
        double row = 0;
        for (j = 0; j < n_classes; j++) row += counts[i * n_classes + j];
        total += row;
        correct += counts[i * n_classes + i];
        if (row > 0) {
            recall_sum += counts[i * n_classes + i] / row;
            n_present++;
        }
    }
    svg_begin(&sb, w, h, title);
    snprintf(buf, sizeof buf, "n = %.0f, accuracy %.3f, balanced accuracy %.3f", total,
             total > 0 ? correct / total : NAN, n_present ? recall_sum / n_present : NAN);
    { /* subtitle over the matrix, kept inside the picture */
        double half = 3.4 * (double)strlen(buf), cx = x0 + cell * n_classes / 2;
        cx = APP_MIN(APP_MAX(cx, half + 10), w - half - 10);
        svg_text(&sb, cx, y0 - 14, "middle", 12, "fill=\"#444\"", buf);
    }
    for (i = 0; i < n_classes; i++) {
        double row = 0;
        for (j = 0; j < n_classes; j++) row += counts[i * n_classes + j];
        for (j = 0; j < n_classes; j++) {
            int c = counts[i * n_classes + j];
            double share = row > 0 ? c / row : 0.0, cx = x0 + cell * j, cy = y0 + cell * i;
            const char *ink = share > 0.5 ? "#ffffff" : "#222222";
            plot_blues(share, color, sizeof color);
            app_buf_printf(&sb,
                             "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                             "stroke=\"#ffffff\"/>\n",
                             cx, cy, cell, cell, color);
            snprintf(buf, sizeof buf, "%d", c);
            {
                char attr[64];
                snprintf(attr, sizeof attr, "fill=\"%s\" font-weight=\"bold\"", ink);
                svg_text(&sb, cx + cell / 2, cy + cell / 2 + (cell >= 44 ? -1 : 4), "middle",
                                cell >= 44 ? 14 : 10, attr, buf);
                if (cell >= 44) {
                    snprintf(attr, sizeof attr, "fill=\"%s\"", ink);
                    snprintf(buf, sizeof buf, "%.0f%%", 100.0 * share);
                    svg_text(&sb, cx + cell / 2, cy + cell / 2 + 15, "middle", 10, attr, buf);
                }
            }
        }
    }
    app_buf_printf(&sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#444\"/>\n",
                     x0, y0, cell * n_classes, cell * n_classes);
    for (i = 0; i < n_classes; i++) {
        const char *name = class_names && class_names[i] ? class_names[i] : NULL;
        if (!name) {
            snprintf(buf, sizeof buf, "%d", i);
            name = buf;
        }
        svg_text(&sb, x0 - 8, y0 + cell * i + cell / 2 + 4, "end", 12, NULL, name);
        if (rotate) {
            char tr[96];
            double x = x0 + cell * i + cell / 2 + 4, y = y0 + cell * n_classes + 10;
            snprintf(tr, sizeof tr, "transform=\"rotate(-45 %.1f %.1f)\"", x, y);
            svg_text(&sb, x, y, "end", 12, tr, name);
        } else {
            svg_text(&sb, x0 + cell * i + cell / 2, y0 + cell * n_classes + 18, "middle", 12, NULL, name);
        }
    }
    svg_text(&sb, x0 + cell * n_classes / 2, h - 16, "middle", 13, NULL, "Predicted label");
    {
        char tr[96];
        double x = x0 - label_w - 40, y = y0 + cell * n_classes / 2;
        snprintf(tr, sizeof tr, "transform=\"rotate(-90 %.1f %.1f)\"", x, y);
        svg_text(&sb, x, y, "middle", 13, tr, "True label");
    }
    { /* colour bar: share of the true class */
        double bx = x0 + cell * n_classes + 30, by = y0, bh = cell * n_classes;
        int k;
        app_buf_printf(&sb, "<defs><linearGradient id=\"eegnn_blues\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
        for (k = 0; k <= 4; k++) {
            plot_blues(k / 4.0, color, sizeof color);
            app_buf_printf(&sb, "<stop offset=\"%.2f\" stop-color=\"%s\"/>", k / 4.0, color);
        }
        app_buf_printf(&sb, "</linearGradient></defs>\n");
        app_buf_printf(&sb,
                         "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"url(#eegnn_blues)\" "
                         "stroke=\"#444\"/>\n",
                         bx, by, bh);
        for (k = 0; k <= 4; k++) {
            snprintf(buf, sizeof buf, "%d%%", 25 * k);
            svg_text(&sb, bx + 20, by + bh - bh * k / 4.0 + 4, "start", 10, NULL, buf);
        }
        {
            char tr[96];
            double x = bx + 68, y = by + bh / 2;
            snprintf(tr, sizeof tr, "transform=\"rotate(-90 %.1f %.1f)\"", x, y);
            svg_text(&sb, x, y, "middle", 11, tr, "share of the true class");
        }
    }
    return svg_finish(&sb, path);
}

eegnn_status eegnn_plot_search_results(const char *path, const char *title, int n,
                                       const char *const *labels, const double *mean, const double *std,
                                       const double *fold_values, int n_folds, const char *metric_name,
                                       int higher_is_better) {
    app_buf sb = {0, 0, 0, 0};
    plot_panel p;
    double mn = INFINITY, mx = -INFINITY, row = 24.0, label_w = 0, w, h;
    char axis_label[160], buf[64];
    int i, k;
    if (!path || n < 1 || !labels || !mean || (fold_values && n_folds < 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_plot_search_results: %s: no path, no rows or bad fold count",
                               path ? path : "(null)");
    for (i = 0; i < n; i++) {
        double s = std && plot_finite(std[i]) ? std[i] : 0.0;
        if (plot_finite(mean[i])) {
            mn = APP_MIN(mn, mean[i] - s);
            mx = APP_MAX(mx, mean[i] + s);
        }
        if (fold_values) plot_range(fold_values + (size_t)i * n_folds, n_folds, &mn, &mx);
        label_w = APP_MAX(label_w, 6.8 * (double)(strlen(labels[i] ? labels[i] : "") + 4));
    }
    label_w = APP_MIN(label_w, 460.0);
    if (mn < mx) { /* keep markers off the frame */
        double pad = 0.03 * (mx - mn);
        mn -= pad;
        mx += pad;
    }
    memset(&p, 0, sizeof p);
    p.x0 = label_w + 20;
    p.y0 = title ? 56 : 24;
    p.w = 440;
    p.h = row * n;
    w = p.x0 + p.w + 130;
    h = p.y0 + p.h + 72;
    plot_axis_fit(&p.ax, mn, mx, 6, 0);
    p.ay.lo = 0;
    p.ay.hi = n;
    p.ay.step = n;
    svg_begin(&sb, w, h, title);
    /* best row highlighted, alternate rows shaded */
    for (i = 0; i < n; i++)
        if (i == 0 || i % 2 == 1)
            app_buf_printf(&sb, "<rect x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                             p.y0 + row * i, w, row, i == 0 ? "#fff4cc" : "#f6f6f6");
    {
        plot_panel q = p; /* vertical grid and x ticks only */
        q.ay.lo = 0;
        q.ay.hi = 1;
        q.ay.step = 0; /* rows, not a numeric axis */
        svg_axes(&sb, &q, NULL, NULL);
    }
    snprintf(axis_label, sizeof axis_label, "valid %s, mean +- std over folds (%s is better)",
             metric_name ? metric_name : "metric", higher_is_better ? "higher" : "lower");
    svg_text(&sb, p.x0 + p.w / 2, p.y0 + p.h + 40, "middle", 13, NULL, axis_label);
    for (i = 0; i < n; i++) {
        double cy = p.y0 + row * i + row / 2;
        char rank[600];
        snprintf(rank, sizeof rank, "%d. %s", i + 1, labels[i] ? labels[i] : "");
        svg_text(&sb, p.x0 - 10, cy + 4, "end", 12, i == 0 ? "font-weight=\"bold\"" : NULL, rank);
        if (!plot_finite(mean[i])) {
            svg_text(&sb, p.x0 + 8, cy + 4, "start", 11, "fill=\"#b00\"", "failed");
            continue;
        }
        if (std && plot_finite(std[i]) && std[i] > 0)
            app_buf_printf(&sb,
                             "<path d=\"M%.1f %.1f L%.1f %.1f M%.1f %.1f L%.1f %.1f M%.1f %.1f L%.1f %.1f\" "
                             "stroke=\"#333\" stroke-width=\"1.5\" fill=\"none\"/>\n",
                             plot_px(&p, mean[i] - std[i]), cy, plot_px(&p, mean[i] + std[i]), cy,
                             plot_px(&p, mean[i] - std[i]), cy - 5, plot_px(&p, mean[i] - std[i]), cy + 5,
                             plot_px(&p, mean[i] + std[i]), cy - 5, plot_px(&p, mean[i] + std[i]), cy + 5);
        if (fold_values)
            for (k = 0; k < n_folds; k++) {
                double v = fold_values[(size_t)i * n_folds + k];
                if (plot_finite(v))
                    app_buf_printf(&sb,
                                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"none\" stroke=\"" EEGNN__C_VALID
                                     "\" stroke-width=\"1.2\"/>\n",
                                     plot_px(&p, v), cy);
            }
        app_buf_printf(&sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"" EEGNN__C_TRAIN "\"/>\n",
                         plot_px(&p, mean[i]), cy);
        if (std && plot_finite(std[i]))
            snprintf(buf, sizeof buf, "%.4g +- %.2g", mean[i], std[i]);
        else
            snprintf(buf, sizeof buf, "%.4g", mean[i]);
        svg_text(&sb, p.x0 + p.w + 12, cy + 4, "start", 11, "fill=\"#444\"", buf);
    }
    svg_text(&sb, p.x0 + p.w / 2, p.y0 + p.h + 58, "middle", 11, "fill=\"#555\"",
                    fold_values ? "filled dot: mean; bar: +- 1 std; open circles: single folds"
                                : "filled dot: mean; bar: +- 1 std");
    return svg_finish(&sb, path);
}
#endif /* EEGNN_APP_PLOT_C */
