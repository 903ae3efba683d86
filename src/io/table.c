/* TSV and JSON readers for BIDS metadata (see table.h). */
#include <ctype.h>
#include <math.h>

/* ---- TSV ---------------------------------------------------------------- */

static int eegnn__tsv_is_missing(const char *s, size_t n) {
    return n == 0 || (n == 3 && memcmp(s, "n/a", 3) == 0);
}

/* Counts the cells of one line [s, e). */
static int eegnn__tsv_count_cells(const char *s, const char *e) {
    int n = 1;
    for (; s < e; s++)
        if (*s == '\t') n++;
    return n;
}

EEGNN_API void eegnn_table_free(eegnn_table *table) {
    int i;
    if (!table) return;
    if (table->columns)
        for (i = 0; i < table->n_cols; i++) EEGNN_FREE(table->columns[i]);
    if (table->cells)
        for (i = 0; i < table->n_rows * table->n_cols; i++) EEGNN_FREE(table->cells[i]);
    EEGNN_FREE(table->columns);
    EEGNN_FREE(table->cells);
    EEGNN_FREE(table->path);
    EEGNN_FREE(table);
}

/* Splits [s, e) at tabs into out[0..n); missing cells become NULL when
 * `missing_null`. Returns 0 on allocation failure. */
static int eegnn__tsv_split(const char *s, const char *e, char **out, int n, int missing_null) {
    int k;
    for (k = 0; k < n; k++) {
        const char *c = s;
        while (c < e && *c != '\t') c++;
        if (missing_null && eegnn__tsv_is_missing(s, (size_t)(c - s))) {
            out[k] = NULL;
        } else {
            out[k] = eegnn__strndup(s, (size_t)(c - s));
            if (!out[k]) return 0;
        }
        s = c + 1;
    }
    return 1;
}

EEGNN_API eegnn_table *eegnn_table_parse_tsv(const char *text, size_t len, const char *name) {
    eegnn_table *t;
    const char *p = text, *end = text + len;
    const char *line_start, *line_end;
    int cap_rows = 0, line_no = 1;
    if (!name) name = "<tsv>";
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3;
    t = (eegnn_table *)eegnn__calloc(1, sizeof *t);
    if (!t) return NULL;
    t->path = eegnn__strdup(name);
    if (!t->path) goto fail_mem;
    /* header */
    line_start = p;
    while (p < end && *p != '\n') p++;
    line_end = p;
    if (line_end > line_start && line_end[-1] == '\r') line_end--;
    if (line_end == line_start) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line 1: the header row is empty", name);
        goto fail;
    }
    t->n_cols = eegnn__tsv_count_cells(line_start, line_end);
    t->columns = (char **)eegnn__calloc((size_t)t->n_cols, sizeof(char *));
    if (!t->columns || !eegnn__tsv_split(line_start, line_end, t->columns, t->n_cols, 0)) goto fail_mem;
    if (p < end) p++;
    /* rows */
    while (p < end) {
        int n;
        line_no++;
        line_start = p;
        while (p < end && *p != '\n') p++;
        line_end = p;
        if (p < end) p++;
        if (line_end > line_start && line_end[-1] == '\r') line_end--;
        if (line_end == line_start) {
            /* Blank lines are tolerated only at the end of the file. */
            const char *q = p;
            while (q < end && (*q == '\n' || *q == '\r')) q++;
            if (q == end) break;
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d is empty but more rows follow", name, line_no);
            goto fail;
        }
        n = eegnn__tsv_count_cells(line_start, line_end);
        if (n != t->n_cols) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d has %d cells, the header has %d", name, line_no,
                            n, t->n_cols);
            goto fail;
        }
        if (t->n_rows == cap_rows) {
            int ncap = cap_rows ? cap_rows * 2 : 64;
            char **nc = (char **)EEGNN_REALLOC(t->cells, (size_t)ncap * (size_t)t->n_cols * sizeof(char *));
            if (!nc) goto fail_mem;
            t->cells = nc;
            cap_rows = ncap;
        }
        memset(t->cells + (size_t)t->n_rows * (size_t)t->n_cols, 0, (size_t)t->n_cols * sizeof(char *));
        t->n_rows++;
        if (!eegnn__tsv_split(line_start, line_end, t->cells + (size_t)(t->n_rows - 1) * (size_t)t->n_cols,
                              t->n_cols, 1))
            goto fail_mem;
    }
    return t;
fail_mem:
    eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading table", name);
fail:
    eegnn_table_free(t);
    return NULL;
}

EEGNN_API eegnn_table *eegnn_table_read_tsv(const char *path) {
    char *text;
    size_t len;
    eegnn_table *t;
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_table_read_tsv: path is NULL");
        return NULL;
    }
    if (eegnn__read_file(path, &text, &len) != EEGNN_OK) return NULL;
    t = eegnn_table_parse_tsv(text, len, path);
    EEGNN_FREE(text);
    return t;
}

EEGNN_API int eegnn_table_column(const eegnn_table *table, const char *name) {
    int i;
    if (!table || !name) return -1;
    for (i = 0; i < table->n_cols; i++)
        if (strcmp(table->columns[i], name) == 0) return i;
    return -1;
}

EEGNN_API const char *eegnn_table_cell(const eegnn_table *table, int row, int col) {
    if (!table || row < 0 || row >= table->n_rows || col < 0 || col >= table->n_cols) return NULL;
    return table->cells[(size_t)row * (size_t)table->n_cols + (size_t)col];
}

EEGNN_API int eegnn_table_missing_count(const eegnn_table *table, int col) {
    int r, n = 0;
    if (!table || col < 0 || col >= table->n_cols) return 0;
    for (r = 0; r < table->n_rows; r++)
        if (!eegnn_table_cell(table, r, col)) n++;
    return n;
}

EEGNN_API int eegnn_table_column_is_numeric(const eegnn_table *table, int col) {
    int r;
    double v;
    if (!table || col < 0 || col >= table->n_cols) return 0;
    for (r = 0; r < table->n_rows; r++) {
        const char *c = eegnn_table_cell(table, r, col);
        if (c && !eegnn__parse_decimal(c, &v)) return 0;
    }
    return 1;
}

EEGNN_API eegnn_status eegnn_table_column_numeric(const eegnn_table *table, int col, double *out) {
    int r;
    if (!table || !out || col < 0 || col >= table->n_cols)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_table_column_numeric: bad table or column %d", col);
    for (r = 0; r < table->n_rows; r++) {
        const char *c = eegnn_table_cell(table, r, col);
        if (!c) {
            out[r] = NAN;
        } else if (!eegnn__parse_decimal(c, &out[r])) {
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d, column '%s': '%s' is not a number",
                                   table->path, r + 2, table->columns[col], c);
        }
    }
    return EEGNN_OK;
}

EEGNN_API int eegnn_table_column_levels(const eegnn_table *table, int col, const char ***levels) {
    const char **v;
    int r, n = 0, k = 0;
    *levels = NULL;
    if (!table || col < 0 || col >= table->n_cols) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_table_column_levels: bad table or column %d", col);
        return -1;
    }
    v = (const char **)eegnn__calloc((size_t)table->n_rows + 1, sizeof(char *));
    if (!v) return -1;
    for (r = 0; r < table->n_rows; r++) {
        const char *c = eegnn_table_cell(table, r, col);
        if (c) v[n++] = c;
    }
    qsort(v, (size_t)n, sizeof(char *), eegnn__cmp_strings);
    for (r = 0; r < n; r++)
        if (k == 0 || strcmp(v[k - 1], v[r]) != 0) v[k++] = v[r];
    *levels = v;
    return k;
}

/* ---- JSON --------------------------------------------------------------- */

typedef struct eegnn__json_parser {
    const char *s, *end, *begin;
    const char *name;
    int failed;
} eegnn__json_parser;

static void eegnn__json_fail(eegnn__json_parser *p, const char *what) {
    if (p->failed) return;
    p->failed = 1;
    eegnn_set_error(EEGNN_ERR_FORMAT, "%s: byte %ld: %s", p->name, (long)(p->s - p->begin), what);
}

static void eegnn__json_ws(eegnn__json_parser *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static void eegnn__json_clear(eegnn_json *v) {
    int i;
    EEGNN_FREE(v->string);
    for (i = 0; i < v->n; i++) {
        if (v->keys) EEGNN_FREE(v->keys[i]);
        if (v->items) eegnn__json_clear(&v->items[i]);
    }
    EEGNN_FREE(v->keys);
    EEGNN_FREE(v->items);
    memset(v, 0, sizeof *v);
}

EEGNN_API void eegnn_json_free(eegnn_json *doc) {
    if (!doc) return;
    eegnn__json_clear(doc);
    EEGNN_FREE(doc);
}

static int eegnn__json_hex4(eegnn__json_parser *p, unsigned *out) {
    unsigned v = 0;
    int i;
    if (p->end - p->s < 4) {
        eegnn__json_fail(p, "truncated \\u escape");
        return 0;
    }
    for (i = 0; i < 4; i++) {
        char c = p->s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else {
            eegnn__json_fail(p, "bad hexadecimal digit in \\u escape");
            return 0;
        }
    }
    p->s += 4;
    *out = v;
    return 1;
}

static void eegnn__utf8_put(eegnn__strbuf *sb, unsigned cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    eegnn__sb_append(sb, b, n);
}

/* Parses a string starting at the opening quote; returns a new string. */
static char *eegnn__json_string(eegnn__json_parser *p) {
    eegnn__strbuf sb;
    memset(&sb, 0, sizeof sb);
    p->s++; /* opening quote */
    eegnn__sb_append(&sb, "", 0);
    for (;;) {
        const char *run = p->s;
        while (p->s < p->end && *p->s != '"' && *p->s != '\\' && (unsigned char)*p->s >= 0x20) p->s++;
        eegnn__sb_append(&sb, run, (size_t)(p->s - run));
        if (p->s >= p->end) {
            eegnn__json_fail(p, "unterminated string");
            break;
        }
        if (*p->s == '"') {
            p->s++;
            if (sb.failed) {
                eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory parsing JSON", p->name);
                p->failed = 1;
                break;
            }
            return sb.p;
        }
        if ((unsigned char)*p->s < 0x20) {
            eegnn__json_fail(p, "control character inside a string");
            break;
        }
        /* backslash escape */
        p->s++;
        if (p->s >= p->end) {
            eegnn__json_fail(p, "unterminated escape");
            break;
        }
        {
            char c = *p->s++;
            unsigned cp, lo;
            switch (c) {
            case '"': eegnn__sb_append(&sb, "\"", 1); break;
            case '\\': eegnn__sb_append(&sb, "\\", 1); break;
            case '/': eegnn__sb_append(&sb, "/", 1); break;
            case 'b': eegnn__sb_append(&sb, "\b", 1); break;
            case 'f': eegnn__sb_append(&sb, "\f", 1); break;
            case 'n': eegnn__sb_append(&sb, "\n", 1); break;
            case 'r': eegnn__sb_append(&sb, "\r", 1); break;
            case 't': eegnn__sb_append(&sb, "\t", 1); break;
            case 'u':
                if (!eegnn__json_hex4(p, &cp)) goto fail;
                if (cp >= 0xD800 && cp <= 0xDBFF && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
                    const char *save = p->s;
                    p->s += 2;
                    if (!eegnn__json_hex4(p, &lo)) goto fail;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        p->s = save; /* unpaired high surrogate: keep as is */
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; /* lone surrogate: replacement char */
                eegnn__utf8_put(&sb, cp);
                break;
            default:
                p->s--;
                eegnn__json_fail(p, "unknown escape in string");
                goto fail;
            }
        }
    }
fail:
    eegnn__sb_free(&sb);
    return NULL;
}

static int eegnn__json_value(eegnn__json_parser *p, eegnn_json *v, int depth);

/* Appends an item (and key) to an array/object under construction. */
static eegnn_json *eegnn__json_push(eegnn__json_parser *p, eegnn_json *v, int *cap, char *key) {
    if (v->n == *cap) {
        int ncap = *cap ? *cap * 2 : 8;
        eegnn_json *ni = (eegnn_json *)EEGNN_REALLOC(v->items, (size_t)ncap * sizeof(eegnn_json));
        if (!ni) goto oom;
        v->items = ni;
        if (v->type == EEGNN_JSON_OBJECT) {
            char **nk = (char **)EEGNN_REALLOC(v->keys, (size_t)ncap * sizeof(char *));
            if (!nk) goto oom;
            v->keys = nk;
        }
        *cap = ncap;
    }
    memset(&v->items[v->n], 0, sizeof(eegnn_json));
    if (v->keys) v->keys[v->n] = key;
    return &v->items[v->n++];
oom:
    EEGNN_FREE(key);
    eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory parsing JSON", p->name);
    p->failed = 1;
    return NULL;
}

static int eegnn__json_literal(eegnn__json_parser *p, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(p->end - p->s) >= n && memcmp(p->s, word, n) == 0) {
        p->s += n;
        return 1;
    }
    return 0;
}

static int eegnn__json_number(eegnn__json_parser *p, eegnn_json *v) {
    const char *q = p->s;
    char tmp[128];
    size_t n;
    if (q < p->end && *q == '-') q++;
    if (q >= p->end || !isdigit((unsigned char)*q)) {
        eegnn__json_fail(p, "expected a value");
        return 0;
    }
    if (*q == '0') q++;
    else
        while (q < p->end && isdigit((unsigned char)*q)) q++;
    if (q < p->end && *q == '.') {
        q++;
        if (q >= p->end || !isdigit((unsigned char)*q)) {
            p->s = q;
            eegnn__json_fail(p, "expected a digit after '.'");
            return 0;
        }
        while (q < p->end && isdigit((unsigned char)*q)) q++;
    }
    if (q < p->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < p->end && (*q == '+' || *q == '-')) q++;
        if (q >= p->end || !isdigit((unsigned char)*q)) {
            p->s = q;
            eegnn__json_fail(p, "expected a digit in the exponent");
            return 0;
        }
        while (q < p->end && isdigit((unsigned char)*q)) q++;
    }
    n = (size_t)(q - p->s);
    if (n >= sizeof tmp) {
        eegnn__json_fail(p, "number too long");
        return 0;
    }
    memcpy(tmp, p->s, n);
    tmp[n] = '\0';
    v->type = EEGNN_JSON_NUMBER;
    v->number = strtod(tmp, NULL);
    p->s = q;
    return 1;
}

static int eegnn__json_value(eegnn__json_parser *p, eegnn_json *v, int depth) {
    eegnn__json_ws(p);
    if (depth > 512) {
        eegnn__json_fail(p, "nesting deeper than 512 levels");
        return 0;
    }
    if (p->s >= p->end) {
        eegnn__json_fail(p, "unexpected end of input, expected a value");
        return 0;
    }
    switch (*p->s) {
    case '{':
    case '[': {
        int is_obj = *p->s == '{', cap = 0;
        char close = is_obj ? '}' : ']';
        v->type = is_obj ? EEGNN_JSON_OBJECT : EEGNN_JSON_ARRAY;
        p->s++;
        eegnn__json_ws(p);
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return 1;
        }
        for (;;) {
            char *key = NULL;
            eegnn_json *item;
            eegnn__json_ws(p);
            if (is_obj) {
                if (p->s >= p->end || *p->s != '"') {
                    eegnn__json_fail(p, "expected a string key in object");
                    return 0;
                }
                key = eegnn__json_string(p);
                if (!key) return 0;
                eegnn__json_ws(p);
                if (p->s >= p->end || *p->s != ':') {
                    EEGNN_FREE(key);
                    eegnn__json_fail(p, "expected ':' after object key");
                    return 0;
                }
                p->s++;
            }
            item = eegnn__json_push(p, v, &cap, key);
            if (!item || !eegnn__json_value(p, item, depth + 1)) return 0;
            eegnn__json_ws(p);
            if (p->s < p->end && *p->s == ',') {
                p->s++;
                continue;
            }
            if (p->s < p->end && *p->s == close) {
                p->s++;
                return 1;
            }
            eegnn__json_fail(p, is_obj ? "expected ',' or '}' in object" : "expected ',' or ']' in array");
            return 0;
        }
    }
    case '"':
        v->string = eegnn__json_string(p);
        if (!v->string) return 0;
        v->type = EEGNN_JSON_STRING;
        return 1;
    case 't':
    case 'f':
    case 'n':
        if (eegnn__json_literal(p, "true")) {
            v->type = EEGNN_JSON_BOOL;
            v->number = 1;
            return 1;
        }
        if (eegnn__json_literal(p, "false")) {
            v->type = EEGNN_JSON_BOOL;
            return 1;
        }
        if (eegnn__json_literal(p, "null")) {
            v->type = EEGNN_JSON_NULL;
            return 1;
        }
        eegnn__json_fail(p, "expected a value");
        return 0;
    default:
        return eegnn__json_number(p, v);
    }
}

EEGNN_API eegnn_json *eegnn_json_parse(const char *text, size_t len, const char *name) {
    eegnn__json_parser p;
    eegnn_json *doc = (eegnn_json *)eegnn__calloc(1, sizeof *doc);
    if (!doc) return NULL;
    p.begin = p.s = text;
    p.end = text + len;
    p.name = name ? name : "<json>";
    p.failed = 0;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        p.s += 3;
    if (eegnn__json_value(&p, doc, 0)) {
        eegnn__json_ws(&p);
        if (p.s < p.end) eegnn__json_fail(&p, "unexpected text after the JSON value");
    }
    if (p.failed) {
        eegnn_json_free(doc);
        return NULL;
    }
    return doc;
}

EEGNN_API eegnn_json *eegnn_json_read(const char *path) {
    char *text;
    size_t len;
    eegnn_json *doc;
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_json_read: path is NULL");
        return NULL;
    }
    if (eegnn__read_file(path, &text, &len) != EEGNN_OK) return NULL;
    doc = eegnn_json_parse(text, len, path);
    EEGNN_FREE(text);
    return doc;
}

EEGNN_API const eegnn_json *eegnn_json_get(const eegnn_json *obj, const char *key) {
    int i;
    if (!obj || !key || obj->type != EEGNN_JSON_OBJECT) return NULL;
    for (i = obj->n - 1; i >= 0; i--)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

EEGNN_API eegnn_status eegnn_json_get_number(const eegnn_json *obj, const char *key, double *out) {
    const eegnn_json *v = eegnn_json_get(obj, key);
    if (!v || v->type == EEGNN_JSON_NULL)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "JSON key '%s' is absent", key ? key : "(null)");
    if (v->type != EEGNN_JSON_NUMBER)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "JSON key '%s' is not a number", key);
    *out = v->number;
    return EEGNN_OK;
}

EEGNN_API const char *eegnn_json_get_string(const eegnn_json *obj, const char *key) {
    const eegnn_json *v = eegnn_json_get(obj, key);
    return v && v->type == EEGNN_JSON_STRING ? v->string : NULL;
}
