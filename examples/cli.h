/* Command-line options of the `eegnn` program (examples/eegnn.c), parsed as
 * users of argparse and click expect:
 *
 *   - every command has its own table of options; `eegnn COMMAND --help`
 *     (or -h) prints that command's options only, to stdout, exit status 0;
 *   - "--name VALUE" and "--name=VALUE"; a value that starts with "--" is
 *     taken for a missing value, a negative number is a value;
 *   - an unknown option is an error that suggests the closest known one
 *     ("unknown option '--qiet' (did you mean '--quiet'?)"), or names the
 *     command it belongs to;
 *   - every number is range-checked, every choice checked against its list,
 *     and an option given twice is an error;
 *   - errors go to stderr as "eegnn COMMAND: ..." and the program exits
 *     with status 2, before any data is read.
 *
 * Options with a field offset are applied to a config struct by cli_apply
 * and written back, resolved, by cli_write_json_options (config.json).
 * Everything here is plain C99 and only the program includes it. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cli_type {
    CLI_FLAG,   /* no value; an int field set to 1 */
    CLI_INT,    /* int */
    CLI_U64,    /* uint64_t (seeds) */
    CLI_FLOAT,  /* float */
    CLI_DOUBLE, /* double */
    CLI_STRING, /* const char * (the argv text) */
    CLI_SIZE    /* int64_t bytes, with a K/M/G suffix (powers of 1024) */
};

enum cli_flags {
    CLI_LO_OPEN = 1,      /* the range excludes lo */
    CLI_HI_OPEN = 2,      /* the range excludes hi */
    CLI_LIST = 8,         /* a comma-separated list, each item checked (applied by the command) */
    CLI_NONZERO = 16,     /* 0 is not allowed */
    CLI_ZERO_UNSET = 32   /* 0 in a resolved config means off, all or "decided elsewhere": written as null */
};

typedef struct cli_option {
    const char *name;    /* "--epochs" */
    const char *metavar; /* "N"; NULL for flags */
    int type;            /* enum cli_type */
    unsigned commands;   /* bit set of the commands that take it */
    double lo, hi;       /* range of a number (of each list item) */
    unsigned flags;      /* enum cli_flags */
    const char *choices; /* CLI_STRING: comma-separated allowed values; NULL: any non-empty text */
    long offset;         /* offsetof the field in the command's config; -1: the command applies it */
    const char *section; /* help heading of the group it belongs to */
    const char *help;    /* '\n' starts a continuation line */
} cli_option;

#define CLI_MAX_OPTIONS 160
#define CLI_MAX_POSITIONAL 8

typedef struct cli_args {
    const char *value[CLI_MAX_OPTIONS]; /* per table row: the text given (flags: "1"), NULL when absent */
    double number[CLI_MAX_OPTIONS];     /* per table row: the value of a single number */
    int n_pos;
    const char *pos[CLI_MAX_POSITIONAL];
} cli_args;

/* Optimal string alignment distance (edits: insert, delete, substitute,
 * swap two neighbours), for suggestions. */
static int cli_distance(const char *a, const char *b) {
    int la = (int)strlen(a), lb = (int)strlen(b), i, j, d[64][64];
    if (la > 62 || lb > 62) return 99;
    for (i = 0; i <= la; i++) d[i][0] = i;
    for (j = 0; j <= lb; j++) d[0][j] = j;
    for (i = 1; i <= la; i++)
        for (j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1], v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The closest of n words to `word` (NULL when none is close: at most 2
 * edits, and fewer than half the word's length), or the only word that
 * starts with `word`. */
static const char *cli_closest(const char *word, const char *const *words, int n) {
    const char *best = NULL, *prefix = NULL;
    int i, best_d = 99, n_prefix = 0, len = (int)strlen(word);
    for (i = 0; i < n; i++) {
        int d = cli_distance(word, words[i]);
        if (d < best_d) {
            best_d = d;
            best = words[i];
        }
        if (len >= 3 && !strncmp(words[i], word, (size_t)len)) {
            prefix = words[i];
            n_prefix++;
        }
    }
    if (best && best_d <= 2 && 2 * best_d < len) return best;
    return n_prefix == 1 ? prefix : NULL;
}

/* Splits a comma-separated list in place (buf) into at most max words. */
static int cli_split(char *buf, const char **words, int max) {
    int n = 0;
    char *p = buf;
    while (n < max) {
        char *e = strchr(p, ',');
        words[n++] = p;
        if (!e) break;
        *e = '\0';
        p = e + 1;
    }
    return n;
}

/* The closest item of a comma-separated list, or NULL. */
static const char *cli_closest_choice(const char *word, const char *choices, char *buf, size_t size) {
    const char *words[64], *hit;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", choices);
    hit = cli_closest(word, words, cli_split(tmp, words, 64));
    if (!hit) return NULL;
    snprintf(buf, size, "%s", hit);
    return buf;
}

/* "an integer >= 1", "a number in (0, 1)", ... */
static void cli_range_text(const cli_option *o, char *buf, size_t size) {
    const char *what = o->type == CLI_INT || o->type == CLI_U64 ? "an integer" : "a number";
    int has_lo = isfinite(o->lo), has_hi = isfinite(o->hi);
    if (has_lo && has_hi)
        snprintf(buf, size, "%s in %c%g, %g%c", what, o->flags & CLI_LO_OPEN ? '(' : '[', o->lo, o->hi,
                 o->flags & CLI_HI_OPEN ? ')' : ']');
    else if (has_lo)
        snprintf(buf, size, "%s %s %g", what, o->flags & CLI_LO_OPEN ? ">" : ">=", o->lo);
    else if (has_hi)
        snprintf(buf, size, "%s %s %g", what, o->flags & CLI_HI_OPEN ? "<" : "<=", o->hi);
    else
        snprintf(buf, size, "%s", what);
    if (o->flags & CLI_NONZERO) snprintf(buf + strlen(buf), size - strlen(buf), " other than 0");
}

/* A byte count with an optional K, M or G suffix (powers of 1024) and an
 * optional B, e.g. "64M"; 0 when it does not parse or is not > 0. */
static int cli_parse_size(const char *v, int64_t *out) {
    char *end;
    double x = strtod(v, &end), mul = 1.0;
    if (end != v && *end) {
        char c = (char)toupper((unsigned char)*end);
        if (c == 'K') mul = 1024.0;
        else if (c == 'M') mul = 1048576.0;
        else if (c == 'G') mul = 1073741824.0;
        else end = (char *)v;
        if (end != v) {
            end++;
            if (*end == 'B' || *end == 'b') end++;
        }
    }
    if (end == v || *end || !(x > 0) || x * mul > 9.0e18) return 0;
    *out = (int64_t)(x * mul);
    return 1;
}

/* One number of an option (a single value or a list item): 1 when it
 * parses and is in range, else 0 with the message printed. */
static int cli_number(const char *cmd, const cli_option *o, const char *text, double *out) {
    char *end, range[96];
    double x;
    errno = 0;
    if (o->type == CLI_U64) {
        unsigned long long u;
        while (isspace((unsigned char)*text)) text++;
        u = *text == '-' ? 0 : strtoull(text, &end, 10);
        x = (double)u;
        if (*text == '-' || end == text || *end || errno == ERANGE) end = (char *)text;
    } else {
        x = strtod(text, &end);
    }
    cli_range_text(o, range, sizeof range);
    if (end == text || *end || !isfinite(x) || errno == ERANGE ||
        ((o->type == CLI_INT || o->type == CLI_U64) && x != floor(x))) {
        fprintf(stderr, "eegnn %s: %s expects %s, got '%s'\n", cmd, o->name, range, text);
        return 0;
    }
    if ((o->flags & CLI_LO_OPEN ? !(x > o->lo) : !(x >= o->lo)) || (o->flags & CLI_HI_OPEN ? !(x < o->hi) : !(x <= o->hi)) ||
        ((o->flags & CLI_NONZERO) && x == 0) || (o->type == CLI_INT && fabs(x) > 2147483647.0)) {
        fprintf(stderr, "eegnn %s: %s expects %s, got %s\n", cmd, o->name, range, text);
        return 0;
    }
    *out = x;
    return 1;
}

/* Checks an option's text: a number, a size, a choice or a list of these. */
static int cli_check_value(const char *cmd, const cli_option *o, const char *v, double *num) {
    char hint[64];
    if (!*v) {
        fprintf(stderr, "eegnn %s: %s needs a non-empty value (%s)\n", cmd, o->name, o->metavar);
        return 0;
    }
    if (o->flags & CLI_LIST) { /* each item */
        char item[256];
        const char *p = v;
        while (1) {
            size_t len = strcspn(p, ",");
            double x;
            if (len == 0 || len >= sizeof item) {
                fprintf(stderr, "eegnn %s: %s: empty or overlong item in '%s'\n", cmd, o->name, v);
                return 0;
            }
            memcpy(item, p, len);
            item[len] = '\0';
            if (o->type != CLI_STRING && !cli_number(cmd, o, item, &x)) return 0;
            if (!p[len]) break;
            p += len + 1;
        }
        return 1;
    }
    if (o->type == CLI_SIZE) {
        int64_t b;
        if (!cli_parse_size(v, &b)) {
            fprintf(stderr, "eegnn %s: %s: '%s' is not a size in bytes (e.g. 1G, 512M, 65536)\n", cmd, o->name, v);
            return 0;
        }
        *num = (double)b;
        return 1;
    }
    if (o->type == CLI_STRING) {
        const char *words[64];
        char tmp[1024];
        int k, m;
        if (!o->choices) return 1;
        snprintf(tmp, sizeof tmp, "%s", o->choices);
        m = cli_split(tmp, words, 64);
        for (k = 0; k < m; k++)
            if (!strcmp(words[k], v)) return 1;
        fprintf(stderr, "eegnn %s: %s: '%s' is not one of %s", cmd, o->name, v, o->choices);
        if (cli_closest_choice(v, o->choices, hint, sizeof hint)) fprintf(stderr, " (did you mean '%s'?)", hint);
        fprintf(stderr, "\n");
        return 0;
    }
    return cli_number(cmd, o, v, num);
}

/* Prints one command's help: usage, description, then its options by section. */
static void cli_print_help(FILE *fp, const cli_option *opts, int n, unsigned cmd_bit, const char *usage,
                           const char *description) {
    const char *section = NULL;
    int i;
    fprintf(fp, "usage: %s\n\n%s\n", usage, description);
    for (i = 0; i < n; i++) {
        const cli_option *o = &opts[i];
        char left[64];
        const char *h;
        if (!(o->commands & cmd_bit)) continue;
        if (!section || strcmp(section, o->section)) {
            section = o->section;
            fprintf(fp, "\n%s:\n", section);
        }
        snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(fp, "  %-24s", left);
        if (strlen(left) > 24) fprintf(fp, "\n  %-24s", "");
        for (h = o->help; *h;) {
            size_t len = strcspn(h, "\n");
            fprintf(fp, " %.*s\n", (int)len, h);
            h += len;
            if (*h == '\n') {
                h++;
                fprintf(fp, "  %-24s", "");
            }
        }
    }
    fprintf(fp, "\n  %-24s  this help\n", "-h, --help");
}

/* The row of option `name` for a command, or -1. */
static int cli_find(const cli_option *opts, int n, unsigned cmd_bit, const char *name, size_t len) {
    int i;
    for (i = 0; i < n; i++)
        if ((opts[i].commands & cmd_bit) && strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len)) return i;
    return -1;
}

/* Parses argv (after the command name) against the table. Returns 0 when
 * parsed, 1 when -h/--help printed the help (exit 0), -1 after printing an
 * error (exit 2). cmd_names maps command bits to names, for an option that
 * belongs to another command. */
static int cli_parse(const cli_option *opts, int n, unsigned cmd_bit, const char *cmd, int max_pos,
                     const char *usage, const char *description, const char *const *cmd_names, int argc, char **argv,
                     cli_args *out) {
    int i, k, only_pos = 0;
    memset(out, 0, sizeof *out);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *eq, *v;
        size_t len;
        int row;
        if (!only_pos && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            cli_print_help(stdout, opts, n, cmd_bit, usage, description);
            return 1;
        }
        if (!only_pos && !strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (only_pos || a[0] != '-' || !a[1] || (isdigit((unsigned char)a[1]) || a[1] == '.')) {
            if (out->n_pos >= max_pos || out->n_pos >= CLI_MAX_POSITIONAL) {
                fprintf(stderr, "eegnn %s: unexpected argument '%s' (usage: %s)\n", cmd, a, usage);
                return -1;
            }
            out->pos[out->n_pos++] = a;
            continue;
        }
        eq = strchr(a, '=');
        len = eq ? (size_t)(eq - a) : strlen(a);
        row = cli_find(opts, n, cmd_bit, a, len);
        if (row < 0) {
            const char *names[CLI_MAX_OPTIONS], *hit;
            char name[128];
            int m = 0, other = -1;
            snprintf(name, sizeof name, "%.*s", (int)len, a);
            for (k = 0; k < n; k++) {
                if (opts[k].commands & cmd_bit) names[m++] = opts[k].name;
                else if (other < 0 && !strcmp(opts[k].name, name)) other = k;
            }
            if (other >= 0) {
                fprintf(stderr, "eegnn %s: %s is not an option of `eegnn %s`; it belongs to", cmd, name, cmd);
                for (k = 0; cmd_names[k]; k++)
                    if (opts[other].commands & (1u << k)) fprintf(stderr, " `eegnn %s`", cmd_names[k]);
                fprintf(stderr, " (eegnn %s --help lists its options)\n", cmd);
                return -1;
            }
            hit = name[1] == '-' ? cli_closest(name, names, m) : NULL;
            fprintf(stderr, "eegnn %s: unknown option '%s'", cmd, name);
            if (hit) fprintf(stderr, " (did you mean '%s'?)", hit);
            else fprintf(stderr, " (eegnn %s --help lists the options)", cmd);
            fprintf(stderr, "\n");
            return -1;
        }
        if (out->value[row]) {
            fprintf(stderr, "eegnn %s: %s is given twice\n", cmd, opts[row].name);
            return -1;
        }
        if (opts[row].type == CLI_FLAG) {
            if (eq) {
                fprintf(stderr, "eegnn %s: %s takes no value\n", cmd, opts[row].name);
                return -1;
            }
            out->value[row] = "1";
            out->number[row] = 1;
            continue;
        }
        if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-')) {
                fprintf(stderr, "eegnn %s: %s needs a value (%s)\n", cmd, opts[row].name, opts[row].metavar);
                return -1;
            }
            v = argv[++i];
        }
        if (!cli_check_value(cmd, &opts[row], v, &out->number[row])) return -1;
        out->value[row] = v;
    }
    return 0;
}

/* The field of option row `i` in cfg. */
#define CLI_FIELD(cfg, o, T) ((T *)((char *)(cfg) + (o)->offset))

/* Stores every given option that has an offset into cfg. */
static void cli_apply(const cli_option *opts, int n, unsigned cmd_bit, const cli_args *args, void *cfg) {
    int i;
    for (i = 0; i < n; i++) {
        const cli_option *o = &opts[i];
        double x = args->number[i];
        if (!(o->commands & cmd_bit) || !args->value[i] || o->offset < 0 || (o->flags & CLI_LIST)) continue;
        switch (o->type) {
        case CLI_FLAG: *CLI_FIELD(cfg, o, int) = 1; break;
        case CLI_INT: *CLI_FIELD(cfg, o, int) = (int)x; break;
        case CLI_U64: *CLI_FIELD(cfg, o, uint64_t) = strtoull(args->value[i], NULL, 10); break;
        case CLI_FLOAT: *CLI_FIELD(cfg, o, float) = (float)x; break;
        case CLI_DOUBLE: *CLI_FIELD(cfg, o, double) = x; break;
        case CLI_STRING: *CLI_FIELD(cfg, o, const char *) = args->value[i]; break;
        case CLI_SIZE: *CLI_FIELD(cfg, o, int64_t) = (int64_t)x; break;
        }
    }
}

/* Writes s as a JSON string. */
static void cli_json_string(FILE *fp, const char *s) {
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(fp, "\\%c", c);
        else if (c == '\n') fprintf(fp, "\\n");
        else if (c == '\t') fprintf(fp, "\\t");
        else if (c < 0x20) fprintf(fp, "\\u%04x", c);
        else fputc(c, fp);
    }
    fputc('"', fp);
}

/* Writes "key": value for every option of the command that has an offset,
 * from cfg (a resolved config), keys being the option names without the
 * dashes ("--l-freq" -> "l_freq"); unset strings and EEGNN_UNSET numbers
 * are null. */
static void cli_write_json_options(FILE *fp, const cli_option *opts, int n, unsigned cmd_bit, const void *cfg,
                                   const char *indent) {
    int i, first = 1;
    for (i = 0; i < n; i++) {
        const cli_option *o = &opts[i];
        char key[64];
        size_t k;
        double x = 0;
        if (!(o->commands & cmd_bit) || o->offset < 0 || (o->flags & CLI_LIST)) continue;
        snprintf(key, sizeof key, "%s", o->name + 2);
        for (k = 0; key[k]; k++)
            if (key[k] == '-') key[k] = '_';
        fprintf(fp, "%s\n%s\"%s\": ", first ? "" : ",", indent, key);
        first = 0;
        switch (o->type) {
        case CLI_FLAG: fprintf(fp, "%s", *CLI_FIELD(cfg, o, const int) ? "true" : "false"); continue;
        case CLI_STRING: {
            const char *s = *CLI_FIELD(cfg, o, const char *const);
            if (s) cli_json_string(fp, s);
            else fprintf(fp, "null");
            continue;
        }
        case CLI_U64: fprintf(fp, "%llu", (unsigned long long)*CLI_FIELD(cfg, o, const uint64_t)); continue;
        case CLI_SIZE: x = (double)*CLI_FIELD(cfg, o, const int64_t); break;
        case CLI_INT: x = *CLI_FIELD(cfg, o, const int); break;
        case CLI_FLOAT: x = *CLI_FIELD(cfg, o, const float); break;
        case CLI_DOUBLE: x = *CLI_FIELD(cfg, o, const double); break;
        }
        if (x == EEGNN_UNSET || ((o->flags & CLI_ZERO_UNSET) && x == 0)) {
            fprintf(fp, "null");
            continue;
        }
        if (o->type == CLI_INT || o->type == CLI_SIZE) fprintf(fp, "%.0f", x);
        else fprintf(fp, o->type == CLI_FLOAT ? "%.7g" : "%.15g", x);
    }
}
