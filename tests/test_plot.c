/* SVG plots (examples/plot.c, the program's plots): every writer's output is well-formed XML
 * (tests/xml_check.h, itself checked on broken documents first), values
 * land where they belong (confusion-matrix counts as text inside their
 * cells, one marker per finite point, curves broken at NaN), the numbers
 * printed on the plots agree with values computed here, axis ticks are the
 * "nice" numbers expected by hand, and failures leave no file behind. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../examples/plot.c"
#include "test.h"
#include "xml_check.h"

static char *slurp(const char *path) {
    char *text = NULL;
    size_t len = 0;
    if (eegnn__read_file(path, &text, &len)) return NULL;
    return text;
}

static int count(const char *text, const char *needle) {
    int n = 0;
    const char *p = text;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

/* Reads a well-formed SVG file or returns NULL (with a failed check). */
static char *read_svg(const char *path) {
    char *text = slurp(path), err[256];
    CHECK(text != NULL, "%s not written: %s", path, eegnn_last_error());
    if (!text) return NULL;
    if (!xml_check(text, err, sizeof err)) {
        CHECK(0, "%s: not well-formed: %s", path, err);
        free(text);
        return NULL;
    }
    return text;
}

static void test_xml_checker(void) {
    static const char *const bad[] = {
        "<a><b></a></b>", "<a x=1/>", "<a>&foo;</a>", "<a/><b/>", "<a x='1' x='2'/>", "text<a/>", "<a>",
        "<a x=\"<\"/>", "<a><!-- x -- y --></a>", "<a>&#;</a>", "<a></b>", "<a b=\"1\"c=\"2\"/>", "",
    };
    static const char *const good[] = {
        "<?xml version=\"1.0\"?>\n<a x=\"1\" y='&amp;'><b/>t &lt; u &#38; &#x26;<!-- c --></a>\n",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>caf\xc3\xa9</text></svg>",
    };
    char err[256];
    size_t i;
    for (i = 0; i < sizeof bad / sizeof *bad; i++) CHECK(!xml_check(bad[i], err, sizeof err), "accepted '%s'", bad[i]);
    for (i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(xml_check(good[i], err, sizeof err), "refused '%s': %s", good[i], err);
}

/* Parses attribute `name` of the element that starts at tag. */
static double attr(const char *tag, const char *name) {
    char key[64];
    const char *p, *end = strchr(tag, '>');
    snprintf(key, sizeof key, " %s=\"", name);
    p = strstr(tag, key);
    if (!p || (end && p > end)) return NAN;
    return atof(p + strlen(key));
}

static void test_confusion_matrix(void) {
    /* rows: true class, columns: predicted */
    static const int counts[9] = {5, 2, 0, 1, 7, 3, 0, 0, 9};
    static const char *const names[3] = {"left", "right & <up>", "feet"};
    const char *path = test_out_path("plot/confusion.svg");
    char *text, want[128];
    const char *p;
    double total = 0, correct = 0, recall = 0;
    int i, j, cells = 0, in_cell = 0;
    CHECK(eegnn_plot_confusion_matrix(path, "Motor imagery", counts, 3, names) == EEGNN_OK, "write: %s",
          eegnn_last_error());
    text = read_svg(path);
    if (!text) return;
    /* each cell: a <rect> followed by its count as bold text inside it, row-major */
    p = text;
    for (i = 0; i < 3; i++)
        for (j = 0; j < 3; j++) {
            char needle[64];
            const char *rect = strstr(p, "<rect "), *t;
            /* cells are the rects with a white outline */
            while (rect && !(strstr(rect, " stroke=\"#ffffff\"/>") &&
                             strstr(rect, " stroke=\"#ffffff\"/>") < strchr(rect, '>')))
                rect = strstr(rect + 1, "<rect ");
            snprintf(needle, sizeof needle, "font-weight=\"bold\">%d</text>", counts[i * 3 + j]);
            t = rect ? strstr(rect, needle) : NULL;
            if (!rect || !t) break;
            {
                const char *tag = t;
                double rx = attr(rect, "x"), ry = attr(rect, "y"), rw = attr(rect, "width"), rh = attr(rect, "height");
                double tx, ty;
                while (tag > rect && strncmp(tag, "<text", 5)) tag--;
                tx = attr(tag, "x");
                ty = attr(tag, "y");
                cells++;
                in_cell += tx > rx && tx < rx + rw && ty > ry && ty < ry + rh && rw > 20 && rh > 20;
            }
            p = t + 1;
        }
    CHECK(cells == 9, "found %d of 9 counts in row-major order", cells);
    CHECK(in_cell == 9, "%d of 9 counts lie inside their cell", in_cell);
    /* the full row (9 of 9) is the darkest blue, an empty cell the lightest */
    CHECK(count(text, "fill=\"#08306b\"") >= 1, "no fully dark cell");
    CHECK(strstr(text, "right &amp; &lt;up&gt;") != NULL, "class name not escaped");
    CHECK(strstr(text, ">100%</text>") && strstr(text, ">71%</text>") && strstr(text, ">64%</text>"), "row shares missing");
    for (i = 0; i < 3; i++) {
        double row = 0;
        for (j = 0; j < 3; j++) row += counts[i * 3 + j];
        total += row;
        correct += counts[i * 3 + i];
        recall += counts[i * 3 + i] / row / 3;
    }
    snprintf(want, sizeof want, "accuracy %.3f, balanced accuracy %.3f", correct / total, recall);
    CHECK(strstr(text, want) != NULL, "subtitle lacks '%s'", want);
    CHECK(strstr(text, "Predicted label") && strstr(text, "True label"), "axis labels missing");
    free(text);
}

static void test_pred_vs_true(void) {
    double yt[50], yp[50], yq[50], mt = 0, mq = 0, stt = 0, sqq = 0, stq = 0, r;
    const char *path = test_out_path("plot/pred_true.svg");
    char *text, want[64];
    int i, n = 50;
    eegnn_rng rng;
    eegnn_rng_seed(&rng, 5);
    for (i = 0; i < n; i++) {
        yt[i] = 5 + 16 * eegnn_rng_uniform(&rng);
        yp[i] = 2 * yt[i] + 1;
        yq[i] = yt[i] + 3 * eegnn_rng_normal(&rng);
    }
    yp[7] = NAN; /* left out */
    CHECK(eegnn_plot_pred_vs_true(path, "Age", yt, yp, n, "age (years)") == EEGNN_OK, "write: %s", eegnn_last_error());
    text = read_svg(path);
    if (text) {
        CHECK(strstr(text, "Pearson r = 1.000,") != NULL, "exact linear relation not r = 1.000");
        CHECK(strstr(text, "n = 49;") != NULL, "NaN point counted");
        CHECK(count(text, "<circle ") == 49, "%d markers for 49 finite points", count(text, "<circle "));
        CHECK(strstr(text, "true age (years)") && strstr(text, "predicted age (years)"), "axis labels");
        free(text);
    }
    /* noisy predictions: r as numpy.corrcoef computes it (one-pass sums here) */
    {
        double s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
        for (i = 0; i < n; i++) {
            s1 += yt[i];
            s2 += yq[i];
            s11 += yt[i] * yt[i];
            s22 += yq[i] * yq[i];
            s12 += yt[i] * yq[i];
        }
        mt = s1 / n;
        mq = s2 / n;
        stt = s11 - n * mt * mt;
        sqq = s22 - n * mq * mq;
        stq = s12 - n * mt * mq;
        r = stq / sqrt(stt * sqq);
    }
    CHECK(eegnn_plot_pred_vs_true(path, NULL, yt, yq, n, NULL) == EEGNN_OK, "write: %s", eegnn_last_error());
    text = read_svg(path);
    if (text) {
        snprintf(want, sizeof want, "Pearson r = %.3f", r);
        CHECK(strstr(text, want) != NULL, "legend lacks '%s'", want);
        free(text);
    }
}

static void test_learning_curves(void) {
    double train[8] = {0.9, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3};
    double valid[8] = {0.85, 0.75, 0.7, NAN, 0.66, 0.68, 0.7, 0.72};
    double acc[8] = {0.5, 0.55, 0.6, 0.62, 0.64, 0.63, 0.62, 0.61};
    const char *path = test_out_path("plot/curves.svg");
    char *text;
    CHECK(eegnn_plot_learning_curves(path, "ShallowFBCSPNet", 8, train, valid, acc, "balanced_accuracy", 5) ==
              EEGNN_OK,
          "write: %s", eegnn_last_error());
    text = read_svg(path);
    if (!text) return;
    /* losses 0.3..0.9 with about 6 ticks: step 0.2 from 0.2 to 1.0 */
    CHECK(strstr(text, ">0.2</text>") && strstr(text, ">0.4</text>") && strstr(text, ">1.0</text>") &&
              !strstr(text, ">1.2</text>"),
          "loss ticks are not 0.2 .. 1.0");
    /* epochs 1..8: integer ticks */
    CHECK(strstr(text, ">8</text>") && !strstr(text, ">1.5</text>"), "epoch ticks");
    /* the valid curve is broken at the NaN: two pen-down moves */
    {
        const char *v = strstr(text, "stroke=\"#ff7f0e\" stroke-width=\"2\" d=\"");
        const char *end = v ? strchr(v + 40, '"') : NULL;
        int moves = 0;
        for (; v && end && v < end; v++) moves += *v == 'M';
        CHECK(moves == 2, "valid loss drawn with %d segments, want 2", moves);
    }
    CHECK(count(text, "<circle ") == 8 + 7 + 8, "%d markers, want 23", count(text, "<circle "));
    CHECK(strstr(text, "best epoch 5") != NULL, "best epoch not marked");
    CHECK(strstr(text, "valid balanced_accuracy") != NULL, "metric label");
    free(text);

    /* the same from a metrics.json in eegnn_train's layout */
    {
        const char *json = test_out_path("plot/metrics.json");
        const char *svg = test_out_path("plot/metrics_curves.svg");
        static const char doc[] =
            "{\"model\": \"mlp\", \"target\": \"participants:age\", \"n_classes\": 0, \"best_epoch\": 2,\n"
            " \"history\": [\n"
            "  {\"epoch\": 1, \"train_loss\": 1.5, \"valid\": {\"loss\": 1.2, \"pearson_r\": 0.1}},\n"
            "  {\"epoch\": 2, \"train_loss\": 1.0, \"valid\": {\"loss\": 0.9, \"pearson_r\": 0.4}},\n"
            "  {\"epoch\": 3, \"train_loss\": 0.8, \"valid\": {\"loss\": 1.1, \"pearson_r\": null}}]}\n";
        CHECK(eegnn__write_text(json, doc) == EEGNN_OK, "metrics.json");
        CHECK(eegnn_plot_metrics_json(json, svg, NULL) == EEGNN_OK, "metrics plot: %s", eegnn_last_error());
        text = read_svg(svg);
        if (text) {
            CHECK(strstr(text, "valid pearson_r") && strstr(text, "best epoch 2") &&
                      strstr(text, "Learning curves: mlp, participants:age"),
                  "metrics.json plot labels");
            CHECK(count(text, "<circle ") == 3 + 3 + 2, "%d markers, want 8", count(text, "<circle "));
            free(text);
        }
        CHECK(eegnn__write_text(json, "{\"history\": []}") == EEGNN_OK, "metrics.json");
        CHECK(eegnn_plot_metrics_json(json, svg, NULL) == EEGNN_ERR_FORMAT, "empty history accepted");
    }
}

static void test_search_results(void) {
    static const char *const labels[4] = {"shallow lr=0.001", "mlp lr=0.001", "cnn \"x\" & y", "mlp lr=0.01"};
    double mean[4] = {0.71, 0.65, 0.6, NAN}, sd[4] = {0.04, 0.02, 0.0, NAN};
    double folds[12] = {0.7, 0.76, 0.67, 0.64, 0.67, 0.64, 0.6, 0.6, 0.6, 0.5, NAN, 0.6};
    const char *path = test_out_path("plot/search.svg");
    char *text;
    CHECK(eegnn_plot_search_results(path, "Search", 4, labels, mean, sd, folds, 3, "balanced_accuracy", 1) ==
              EEGNN_OK,
          "write: %s", eegnn_last_error());
    text = read_svg(path);
    if (!text) return;
    CHECK(count(text, " r=\"5\"") == 3, "%d mean markers for 3 finite rows", count(text, " r=\"5\""));
    CHECK(count(text, " r=\"3\" fill=\"none\"") == 9, "%d fold markers for 9 finite folds of finite rows",
          count(text, " r=\"3\" fill=\"none\""));
    CHECK(strstr(text, ">1. shallow lr=0.001</text>") && strstr(text, ">3. cnn &quot;x&quot; &amp; y</text>"),
          "ranked, escaped labels");
    CHECK(strstr(text, ">failed</text>") != NULL, "NaN row not marked failed");
    CHECK(strstr(text, "higher is better") != NULL, "direction");
    CHECK(strstr(text, ">0.71 +- 0.04</text>") != NULL, "value column");
    /* error bars: three with std > 0 (rows 1 and 2; row 3 has std 0) */
    CHECK(count(text, "stroke=\"#333\" stroke-width=\"1.5\"") == 2, "%d error bars, want 2",
          count(text, "stroke=\"#333\" stroke-width=\"1.5\""));
    free(text);
}

static void test_errors(void) {
    double v[2] = {1, 2};
    int counts[4] = {1, 0, 0, 1}, bad[4] = {1, -1, 0, 1};
    const char *missing = test_out_path("plot/no-such-dir/x.svg");
    FILE *fp;
    CHECK(eegnn_plot_learning_curves(NULL, NULL, 2, v, v, NULL, NULL, 0) == EEGNN_ERR_ARG, "NULL path");
    CHECK(eegnn_plot_learning_curves(test_out_path("plot/x.svg"), NULL, 0, v, v, NULL, NULL, 0) == EEGNN_ERR_ARG,
          "0 epochs");
    CHECK(eegnn_plot_confusion_matrix(test_out_path("plot/x.svg"), NULL, bad, 2, NULL) == EEGNN_ERR_ARG,
          "negative count");
    CHECK(eegnn_plot_pred_vs_true(test_out_path("plot/x.svg"), NULL, v, NULL, 2, NULL) == EEGNN_ERR_ARG, "NULL y");
    CHECK(eegnn_plot_confusion_matrix(missing, NULL, counts, 2, NULL) == EEGNN_ERR_IO, "missing directory: %s",
          eegnn_last_error());
    fp = fopen(missing, "rb");
    CHECK(fp == NULL, "file left behind");
    if (fp) fclose(fp);
}

int main(void) {
    eegnn__mkdirs(test_out_path("plot"));
    test_xml_checker();
    test_confusion_matrix();
    test_pred_vs_true();
    test_learning_curves();
    test_search_results();
    test_errors();
    return test_summary("test_plot");
}
