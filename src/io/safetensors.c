/* safetensors reader and writer (format: github.com/huggingface/safetensors). */

#define EEGNN__ST_MAX_HEADER 100000000u /* the reference implementation's limit */
#define EEGNN__ST_MAX_DEPTH 64

/* dtype names and element sizes, as the format defines them. */
static const char *const eegnn__st_dtypes[] = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
                                               "BF16", "I32", "U32", "F32", "F64",     "I64",     "U64"};
static const int eegnn__st_dtype_size[] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8};
enum { EEGNN__ST_N_DTYPES = 15 };

typedef struct eegnn__st_tensor {
    char *name;
    int dtype; /* index into eegnn__st_dtypes */
    int ndim;
    int64_t shape[EEGNN_SAFETENSORS_MAX_DIMS];
    size_t numel;
    uint64_t begin, end; /* byte range within the data buffer */
} eegnn__st_tensor;

struct eegnn_safetensors {
    char *name;                /* file name for messages */
    unsigned char *bytes;      /* the whole file */
    size_t size;
    const unsigned char *data; /* bytes + 8 + header length */
    size_t data_size;
    eegnn__st_tensor *tensors;
    int n_tensors, cap_tensors;
    char **meta_keys, **meta_values;
    int n_meta, cap_meta;
};

/* ---- JSON header parser ---- */
typedef struct eegnn__st_parser {
    const char *s; /* header text (NUL-terminated copy) */
    size_t pos, len;
    const char *file;
} eegnn__st_parser;

static eegnn_status eegnn__st_err(eegnn__st_parser *p, const char *what) {
    return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: safetensors header byte %zu: %s", p->file, p->pos + 8, what);
}

static void eegnn__st_ws(eegnn__st_parser *p) {
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int eegnn__st_peek(eegnn__st_parser *p) {
    eegnn__st_ws(p);
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static eegnn_status eegnn__st_expect(eegnn__st_parser *p, char c) {
    char msg[48];
    if (eegnn__st_peek(p) != (unsigned char)c) {
        snprintf(msg, sizeof msg, "expected '%c'", c);
        return eegnn__st_err(p, msg);
    }
    p->pos++;
    return EEGNN_OK;
}

static int eegnn__st_hex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static eegnn_status eegnn__st_u4(eegnn__st_parser *p, unsigned *out) {
    unsigned v = 0;
    int i;
    if (p->pos + 4 > p->len) return eegnn__st_err(p, "truncated \\u escape");
    for (i = 0; i < 4; i++) {
        int h = eegnn__st_hex((unsigned char)p->s[p->pos + (size_t)i]);
        if (h < 0) return eegnn__st_err(p, "bad \\u escape");
        v = v * 16 + (unsigned)h;
    }
    p->pos += 4;
    *out = v;
    return EEGNN_OK;
}

/* Parses a JSON string; *out (may be NULL to skip) gets a NUL-terminated
 * UTF-8 copy to free with EEGNN_FREE. */
static eegnn_status eegnn__st_string(eegnn__st_parser *p, char **out) {
    eegnn__strbuf sb;
    eegnn_status st;
    memset(&sb, 0, sizeof sb);
    if (out) *out = NULL;
    if ((st = eegnn__st_expect(p, '"'))) return st;
    for (;;) {
        int c;
        if (p->pos >= p->len) {
            eegnn__sb_free(&sb);
            return eegnn__st_err(p, "unterminated string");
        }
        c = (unsigned char)p->s[p->pos++];
        if (c == '"') break;
        if (c < 0x20) {
            p->pos--;
            eegnn__sb_free(&sb);
            return eegnn__st_err(p, "control character in a string");
        }
        if (c == '\\') {
            char e;
            unsigned u;
            if (p->pos >= p->len) {
                eegnn__sb_free(&sb);
                return eegnn__st_err(p, "unterminated string");
            }
            e = p->s[p->pos++];
            switch (e) {
            case '"': case '\\': case '/': eegnn__sb_append(&sb, &e, 1); break;
            case 'b': eegnn__sb_append(&sb, "\b", 1); break;
            case 'f': eegnn__sb_append(&sb, "\f", 1); break;
            case 'n': eegnn__sb_append(&sb, "\n", 1); break;
            case 'r': eegnn__sb_append(&sb, "\r", 1); break;
            case 't': eegnn__sb_append(&sb, "\t", 1); break;
            case 'u': {
                char utf8[4];
                int n;
                if ((st = eegnn__st_u4(p, &u))) {
                    eegnn__sb_free(&sb);
                    return st;
                }
                if (u >= 0xD800 && u <= 0xDBFF) { /* surrogate pair */
                    unsigned lo;
                    if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                        eegnn__sb_free(&sb);
                        return eegnn__st_err(p, "unpaired UTF-16 surrogate in \\u escape");
                    }
                    p->pos += 2;
                    if ((st = eegnn__st_u4(p, &lo))) {
                        eegnn__sb_free(&sb);
                        return st;
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        eegnn__sb_free(&sb);
                        return eegnn__st_err(p, "unpaired UTF-16 surrogate in \\u escape");
                    }
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    eegnn__sb_free(&sb);
                    return eegnn__st_err(p, "unpaired UTF-16 surrogate in \\u escape");
                }
                if (u < 0x80) {
                    utf8[0] = (char)u;
                    n = 1;
                } else if (u < 0x800) {
                    utf8[0] = (char)(0xC0 | (u >> 6));
                    utf8[1] = (char)(0x80 | (u & 0x3F));
                    n = 2;
                } else if (u < 0x10000) {
                    utf8[0] = (char)(0xE0 | (u >> 12));
                    utf8[1] = (char)(0x80 | ((u >> 6) & 0x3F));
                    utf8[2] = (char)(0x80 | (u & 0x3F));
                    n = 3;
                } else {
                    utf8[0] = (char)(0xF0 | (u >> 18));
                    utf8[1] = (char)(0x80 | ((u >> 12) & 0x3F));
                    utf8[2] = (char)(0x80 | ((u >> 6) & 0x3F));
                    utf8[3] = (char)(0x80 | (u & 0x3F));
                    n = 4;
                }
                eegnn__sb_append(&sb, utf8, (size_t)n);
                break;
            }
            default:
                p->pos--;
                eegnn__sb_free(&sb);
                return eegnn__st_err(p, "invalid escape in a string");
            }
        } else {
            char ch = (char)c;
            eegnn__sb_append(&sb, &ch, 1);
        }
    }
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading the safetensors header", p->file);
    }
    if (out) {
        *out = sb.p ? sb.p : eegnn__strdup("");
        if (!*out) return EEGNN_ERR_MEMORY;
    } else {
        eegnn__sb_free(&sb);
    }
    return EEGNN_OK;
}

/* A non-negative JSON integer that fits in 63 bits. */
static eegnn_status eegnn__st_uint(eegnn__st_parser *p, uint64_t *out) {
    uint64_t v = 0;
    size_t start;
    eegnn__st_ws(p);
    start = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned d = (unsigned)(p->s[p->pos] - '0');
        if (v > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / 10) return eegnn__st_err(p, "integer too large");
        v = v * 10 + d;
        p->pos++;
    }
    if (p->pos == start) return eegnn__st_err(p, "expected a non-negative integer");
    if (p->pos - start > 1 && p->s[start] == '0') {
        p->pos = start;
        return eegnn__st_err(p, "integer with a leading zero");
    }
    if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
        return eegnn__st_err(p, "expected an integer, found a fraction or exponent");
    *out = v;
    return EEGNN_OK;
}

/* Skips any JSON value, checking its syntax. */
static eegnn_status eegnn__st_skip(eegnn__st_parser *p, int depth) {
    int c = eegnn__st_peek(p);
    eegnn_status st;
    if (depth > EEGNN__ST_MAX_DEPTH) return eegnn__st_err(p, "JSON nested too deeply");
    if (c == '"') return eegnn__st_string(p, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p->pos++;
        if (eegnn__st_peek(p) == (unsigned char)close) {
            p->pos++;
            return EEGNN_OK;
        }
        for (;;) {
            if (c == '{') {
                if ((st = eegnn__st_string(p, NULL)) || (st = eegnn__st_expect(p, ':'))) return st;
            }
            if ((st = eegnn__st_skip(p, depth + 1))) return st;
            if (eegnn__st_peek(p) == ',') {
                p->pos++;
                continue;
            }
            return eegnn__st_expect(p, close);
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t digits;
        if (c == '-') p->pos++;
        digits = p->pos;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
        if (p->pos == digits) return eegnn__st_err(p, "bad number");
        if (p->pos < p->len && p->s[p->pos] == '.') {
            p->pos++;
            digits = p->pos;
            while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
            if (p->pos == digits) return eegnn__st_err(p, "bad number");
        }
        if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
            p->pos++;
            if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
            digits = p->pos;
            while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
            if (p->pos == digits) return eegnn__st_err(p, "bad number");
        }
        return EEGNN_OK;
    }
    if (c >= 0) {
        static const char *const words[3] = {"true", "false", "null"};
        int i;
        for (i = 0; i < 3; i++) {
            size_t n = strlen(words[i]);
            if (p->len - p->pos >= n && !memcmp(p->s + p->pos, words[i], n)) {
                p->pos += n;
                return EEGNN_OK;
            }
        }
    }
    return eegnn__st_err(p, c < 0 ? "unexpected end of header" : "expected a JSON value");
}

static eegnn_status eegnn__st_metadata(eegnn_safetensors *st, eegnn__st_parser *p) {
    eegnn_status s;
    if ((s = eegnn__st_expect(p, '{'))) return s;
    if (eegnn__st_peek(p) == '}') {
        p->pos++;
        return EEGNN_OK;
    }
    for (;;) {
        char *k = NULL, *v = NULL;
        int i;
        if ((s = eegnn__st_string(p, &k))) return s;
        if ((s = eegnn__st_expect(p, ':'))) {
            EEGNN_FREE(k);
            return s;
        }
        if (eegnn__st_peek(p) != '"') {
            EEGNN_FREE(k);
            return eegnn__st_err(p, "__metadata__ values must be strings");
        }
        if ((s = eegnn__st_string(p, &v))) {
            EEGNN_FREE(k);
            return s;
        }
        for (i = 0; i < st->n_meta; i++) {
            if (!strcmp(st->meta_keys[i], k)) {
                EEGNN_FREE(k);
                EEGNN_FREE(v);
                return eegnn__st_err(p, "duplicate __metadata__ key");
            }
        }
        if (st->n_meta == st->cap_meta) {
            int cap = st->cap_meta ? 2 * st->cap_meta : 8;
            char **nk = (char **)EEGNN_REALLOC(st->meta_keys, (size_t)cap * sizeof(char *));
            char **nv = nk ? (char **)EEGNN_REALLOC(st->meta_values, (size_t)cap * sizeof(char *)) : NULL;
            if (nk) st->meta_keys = nk;
            if (nv) st->meta_values = nv;
            if (!nk || !nv) {
                EEGNN_FREE(k);
                EEGNN_FREE(v);
                return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", p->file);
            }
            st->cap_meta = cap;
        }
        st->meta_keys[st->n_meta] = k;
        st->meta_values[st->n_meta++] = v;
        if (eegnn__st_peek(p) == ',') {
            p->pos++;
            continue;
        }
        return eegnn__st_expect(p, '}');
    }
}

/* One tensor entry {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static eegnn_status eegnn__st_entry(eegnn__st_parser *p, eegnn__st_tensor *t, const char *name) {
    eegnn_status s;
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    char msg[160];
    if ((s = eegnn__st_expect(p, '{'))) return s;
    if (eegnn__st_peek(p) != '}') {
        for (;;) {
            char *key = NULL;
            if ((s = eegnn__st_string(p, &key))) return s;
            if ((s = eegnn__st_expect(p, ':'))) {
                EEGNN_FREE(key);
                return s;
            }
            if (!strcmp(key, "dtype")) {
                char *dt = NULL;
                int i;
                EEGNN_FREE(key);
                if (have_dtype++) return eegnn__st_err(p, "duplicate \"dtype\"");
                if ((s = eegnn__st_string(p, &dt))) return s;
                for (i = 0; i < EEGNN__ST_N_DTYPES; i++)
                    if (!strcmp(dt, eegnn__st_dtypes[i])) break;
                if (i == EEGNN__ST_N_DTYPES) {
                    snprintf(msg, sizeof msg, "tensor '%.60s': unknown dtype '%.20s'", name, dt);
                    EEGNN_FREE(dt);
                    return eegnn__st_err(p, msg);
                }
                EEGNN_FREE(dt);
                t->dtype = i;
            } else if (!strcmp(key, "shape")) {
                EEGNN_FREE(key);
                if (have_shape++) return eegnn__st_err(p, "duplicate \"shape\"");
                if ((s = eegnn__st_expect(p, '['))) return s;
                t->ndim = 0;
                if (eegnn__st_peek(p) == ']') {
                    p->pos++;
                } else {
                    for (;;) {
                        uint64_t d;
                        if (t->ndim == EEGNN_SAFETENSORS_MAX_DIMS) {
                            snprintf(msg, sizeof msg, "tensor '%.60s' has more than %d dimensions", name,
                                     EEGNN_SAFETENSORS_MAX_DIMS);
                            return eegnn__st_err(p, msg);
                        }
                        if ((s = eegnn__st_uint(p, &d))) return s;
                        t->shape[t->ndim++] = (int64_t)d;
                        if (eegnn__st_peek(p) == ',') {
                            p->pos++;
                            continue;
                        }
                        if ((s = eegnn__st_expect(p, ']'))) return s;
                        break;
                    }
                }
            } else if (!strcmp(key, "data_offsets")) {
                EEGNN_FREE(key);
                if (have_offsets++) return eegnn__st_err(p, "duplicate \"data_offsets\"");
                if ((s = eegnn__st_expect(p, '[')) || (s = eegnn__st_uint(p, &t->begin)) ||
                    (s = eegnn__st_expect(p, ',')) || (s = eegnn__st_uint(p, &t->end)) ||
                    (s = eegnn__st_expect(p, ']')))
                    return s;
            } else {
                EEGNN_FREE(key);
                if ((s = eegnn__st_skip(p, 1))) return s;
            }
            if (eegnn__st_peek(p) == ',') {
                p->pos++;
                continue;
            }
            break;
        }
    }
    if ((s = eegnn__st_expect(p, '}'))) return s;
    if (!have_dtype || !have_shape || !have_offsets) {
        snprintf(msg, sizeof msg, "tensor '%.60s' lacks \"%s\"", name,
                 !have_dtype ? "dtype" : !have_shape ? "shape" : "data_offsets");
        return eegnn__st_err(p, msg);
    }
    return EEGNN_OK;
}

static eegnn_status eegnn__st_header(eegnn_safetensors *st, eegnn__st_parser *p) {
    eegnn_status s;
    int have_meta = 0;
    if (eegnn__st_peek(p) != '{') return eegnn__st_err(p, "the header is not a JSON object");
    p->pos++;
    if (eegnn__st_peek(p) != '}') {
        for (;;) {
            char *name = NULL;
            if ((s = eegnn__st_string(p, &name))) return s;
            if ((s = eegnn__st_expect(p, ':'))) {
                EEGNN_FREE(name);
                return s;
            }
            if (!strcmp(name, "__metadata__")) {
                EEGNN_FREE(name);
                if (have_meta++) return eegnn__st_err(p, "duplicate __metadata__");
                if ((s = eegnn__st_metadata(st, p))) return s;
            } else {
                eegnn__st_tensor *t;
                if (eegnn_safetensors_find(st, name) >= 0) {
                    char msg[120];
                    snprintf(msg, sizeof msg, "duplicate tensor name '%.80s'", name);
                    EEGNN_FREE(name);
                    return eegnn__st_err(p, msg);
                }
                if (st->n_tensors == st->cap_tensors) {
                    int cap = st->cap_tensors ? 2 * st->cap_tensors : 16;
                    eegnn__st_tensor *nt =
                        (eegnn__st_tensor *)EEGNN_REALLOC(st->tensors, (size_t)cap * sizeof(eegnn__st_tensor));
                    if (!nt) {
                        EEGNN_FREE(name);
                        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", p->file);
                    }
                    st->tensors = nt;
                    st->cap_tensors = cap;
                }
                t = &st->tensors[st->n_tensors++];
                memset(t, 0, sizeof *t);
                t->name = name;
                if ((s = eegnn__st_entry(p, t, name))) return s;
            }
            if (eegnn__st_peek(p) == ',') {
                p->pos++;
                continue;
            }
            break;
        }
    }
    if ((s = eegnn__st_expect(p, '}'))) return s;
    eegnn__st_ws(p);
    if (p->pos != p->len) return eegnn__st_err(p, "unexpected text after the header object");
    return EEGNN_OK;
}

/* Checks every tensor's byte range: size = dtype x shape, inside the data,
 * and together covering the data exactly once. */
static eegnn_status eegnn__st_check_ranges(eegnn_safetensors *st) {
    int i, j, *order;
    uint64_t pos = 0;
    for (i = 0; i < st->n_tensors; i++) {
        eegnn__st_tensor *t = &st->tensors[i];
        uint64_t numel = 1, bytes;
        int d;
        for (d = 0; d < t->ndim; d++) {
            if (t->shape[d] && numel > UINT64_C(0x7FFFFFFFFFFFFFFF) / (uint64_t)t->shape[d])
                return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: tensor '%s': shape too large", st->name, t->name);
            numel *= (uint64_t)t->shape[d];
        }
        if (numel > (uint64_t)st->data_size)
            return eegnn_set_error(EEGNN_ERR_FORMAT,
                                   "%s: tensor '%s': %llu elements do not fit in %zu bytes of data", st->name,
                                   t->name, (unsigned long long)numel, st->data_size);
        bytes = numel * (uint64_t)eegnn__st_dtype_size[t->dtype];
        t->numel = (size_t)numel;
        if (t->begin > t->end || t->end > (uint64_t)st->data_size)
            return eegnn_set_error(EEGNN_ERR_FORMAT,
                                   "%s: tensor '%s': data_offsets [%llu, %llu] outside the %zu bytes of data",
                                   st->name, t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                                   st->data_size);
        if (t->end - t->begin != bytes)
            return eegnn_set_error(EEGNN_ERR_FORMAT,
                                   "%s: tensor '%s': data_offsets span %llu bytes, but %s x %llu elements "
                                   "need %llu",
                                   st->name, t->name, (unsigned long long)(t->end - t->begin),
                                   eegnn__st_dtypes[t->dtype], (unsigned long long)numel, (unsigned long long)bytes);
    }
    if (st->n_tensors == 0) {
        if (st->data_size)
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: %zu bytes of data but no tensors", st->name,
                                   st->data_size);
        return EEGNN_OK;
    }
    order = (int *)eegnn__calloc((size_t)st->n_tensors, sizeof(int));
    if (!order) return EEGNN_ERR_MEMORY;
    /* insertion sort by (begin, end) */
    for (i = 0; i < st->n_tensors; i++) {
        const eegnn__st_tensor *t = &st->tensors[i];
        for (j = i; j > 0; j--) {
            const eegnn__st_tensor *u = &st->tensors[order[j - 1]];
            if (u->begin < t->begin || (u->begin == t->begin && u->end <= t->end)) break;
            order[j] = order[j - 1];
        }
        order[j] = i;
    }
    for (i = 0; i < st->n_tensors; i++) {
        const eegnn__st_tensor *t = &st->tensors[order[i]];
        if (t->begin != pos) {
            eegnn_status s = eegnn_set_error(
                EEGNN_ERR_FORMAT, "%s: tensor '%s': data starts at byte %llu, expected %llu (%s)", st->name,
                t->name, (unsigned long long)t->begin, (unsigned long long)pos,
                t->begin < pos ? "overlaps another tensor" : "a hole in the data");
            EEGNN_FREE(order);
            return s;
        }
        pos = t->end;
    }
    EEGNN_FREE(order);
    if (pos != (uint64_t)st->data_size)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: tensors end at data byte %llu but the file holds %zu",
                               st->name, (unsigned long long)pos, st->data_size);
    return EEGNN_OK;
}

EEGNN_API void eegnn_safetensors_close(eegnn_safetensors *st) {
    int i;
    if (!st) return;
    for (i = 0; i < st->n_tensors; i++) EEGNN_FREE(st->tensors[i].name);
    for (i = 0; i < st->n_meta; i++) {
        EEGNN_FREE(st->meta_keys[i]);
        EEGNN_FREE(st->meta_values[i]);
    }
    EEGNN_FREE(st->tensors);
    EEGNN_FREE(st->meta_keys);
    EEGNN_FREE(st->meta_values);
    EEGNN_FREE(st->bytes);
    EEGNN_FREE(st->name);
    EEGNN_FREE(st);
}

/* Offset of the first byte that breaks UTF-8 (RFC 3629), or n when valid. */
static size_t eegnn__st_utf8_check(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], cp;
        int len, k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
        else return i;
        if (i + (size_t)len > n) return i;
        for (k = 1; k < len; k++) {
            if ((s[i + (size_t)k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + (size_t)k] & 0x3F);
        }
        if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return i; /* overlong or surrogate */
        if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return i;
        i += (size_t)len;
    }
    return n;
}

/* Takes ownership of bytes (size + 1 allocated). *status: why it failed. */
static eegnn_safetensors *eegnn__st_parse(unsigned char *bytes, size_t size, const char *name,
                                          eegnn_status *status) {
    eegnn_safetensors *st = (eegnn_safetensors *)eegnn__calloc(1, sizeof *st);
    eegnn__st_parser p;
    uint64_t n = 0;
    int i;
    char *text;
    *status = EEGNN_ERR_MEMORY;
    if (!st) {
        EEGNN_FREE(bytes);
        return NULL;
    }
    st->bytes = bytes;
    st->size = size;
    st->name = eegnn__strdup(name ? name : "(memory)");
    if (!st->name) goto fail;
    *status = EEGNN_ERR_FORMAT;
    if (size < 8) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: %zu bytes, too short for a safetensors file (8-byte header length)",
                        st->name, size);
        goto fail;
    }
    for (i = 7; i >= 0; i--) n = (n << 8) | bytes[i];
    if (n > EEGNN__ST_MAX_HEADER || n > (uint64_t)(size - 8)) {
        eegnn_set_error(EEGNN_ERR_FORMAT,
                        "%s: header length %llu does not fit the file's %zu bytes (truncated or not safetensors)",
                        st->name, (unsigned long long)n, size);
        goto fail;
    }
    if (n < 2 || bytes[8] != '{') {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: the header does not start with '{' (not a safetensors file)",
                        st->name);
        goto fail;
    }
    if (eegnn__st_utf8_check(bytes + 8, (size_t)n) != (size_t)n) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: safetensors header byte %zu: invalid UTF-8", st->name,
                        eegnn__st_utf8_check(bytes + 8, (size_t)n) + 8);
        goto fail;
    }
    text = eegnn__strndup((const char *)bytes + 8, (size_t)n);
    if (!text) {
        *status = EEGNN_ERR_MEMORY;
        goto fail;
    }
    if (strlen(text) != (size_t)n) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: NUL byte in the header at byte %zu", st->name, strlen(text) + 8);
        EEGNN_FREE(text);
        goto fail;
    }
    p.s = text;
    p.pos = 0;
    p.len = (size_t)n;
    p.file = st->name;
    st->data = bytes + 8 + n;
    st->data_size = size - 8 - (size_t)n;
    *status = eegnn__st_header(st, &p);
    EEGNN_FREE(text);
    if (*status) goto fail;
    *status = eegnn__st_check_ranges(st);
    if (*status) goto fail;
    return st;
fail:
    eegnn_safetensors_close(st);
    return NULL;
}

static eegnn_status eegnn__st_open(const char *path, eegnn_safetensors **out) {
    char *bytes;
    size_t len;
    eegnn_status s;
    *out = NULL;
    if (!path) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_safetensors_open: path is NULL");
    if ((s = eegnn__read_file(path, &bytes, &len))) return s;
    *out = eegnn__st_parse((unsigned char *)bytes, len, path, &s);
    return *out ? EEGNN_OK : s;
}

EEGNN_API eegnn_safetensors *eegnn_safetensors_open(const char *path) {
    eegnn_safetensors *st;
    eegnn__st_open(path, &st);
    return st;
}

EEGNN_API eegnn_safetensors *eegnn_safetensors_open_memory(const void *data, size_t size, const char *name) {
    unsigned char *copy;
    eegnn_status s;
    if (!data && size) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_safetensors_open_memory: data is NULL");
        return NULL;
    }
    copy = (unsigned char *)eegnn__calloc(size + 1, 1);
    if (!copy) return NULL;
    if (size) memcpy(copy, data, size);
    return eegnn__st_parse(copy, size, name, &s);
}

EEGNN_API int eegnn_safetensors_n_tensors(const eegnn_safetensors *st) { return st ? st->n_tensors : 0; }

EEGNN_API eegnn_status eegnn_safetensors_tensor(const eegnn_safetensors *st, int i, eegnn_safetensors_info *info) {
    const eegnn__st_tensor *t;
    int d;
    if (!st || !info || i < 0 || i >= st->n_tensors)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_safetensors_tensor: index %d out of range", i);
    t = &st->tensors[i];
    memset(info, 0, sizeof *info);
    info->name = t->name;
    info->dtype = eegnn__st_dtypes[t->dtype];
    info->ndim = t->ndim;
    for (d = 0; d < t->ndim; d++) info->shape[d] = t->shape[d];
    info->numel = t->numel;
    return EEGNN_OK;
}

EEGNN_API int eegnn_safetensors_find(const eegnn_safetensors *st, const char *name) {
    int i;
    if (!st || !name) return -1;
    for (i = 0; i < st->n_tensors; i++)
        if (!strcmp(st->tensors[i].name, name)) return i;
    return -1;
}

EEGNN_API const char *eegnn_safetensors_metadata(const eegnn_safetensors *st, const char *key) {
    int i;
    if (!st || !key) return NULL;
    for (i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key)) return st->meta_values[i];
    return NULL;
}

static uint64_t eegnn__st_le(const unsigned char *b, int n) {
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static float eegnn__st_half(unsigned h) {
    unsigned sign = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
    float v;
    if (e == 0) v = (float)ldexp((double)m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = (float)ldexp((double)(m | 1024), (int)e - 25);
    return sign ? -v : v;
}

static int eegnn__st_is_float(int dtype) {
    const char *d = eegnn__st_dtypes[dtype];
    return !strcmp(d, "F32") || !strcmp(d, "F64") || !strcmp(d, "F16") || !strcmp(d, "BF16");
}

EEGNN_API eegnn_status eegnn_safetensors_read_f32(const eegnn_safetensors *st, int i, float *dst, size_t n) {
    const eegnn__st_tensor *t;
    const unsigned char *b;
    const char *dt;
    int size;
    size_t j;
    if (!st || i < 0 || i >= st->n_tensors || (!dst && n))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_safetensors_read_f32: index %d out of range", i);
    t = &st->tensors[i];
    if (n != t->numel)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: tensor '%s' has %zu elements, %zu requested", st->name, t->name,
                               t->numel, n);
    dt = eegnn__st_dtypes[t->dtype];
    size = eegnn__st_dtype_size[t->dtype];
    if (!strcmp(dt, "BOOL") || !strncmp(dt, "F8", 2))
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: tensor '%s': dtype %s cannot be read as float32",
                               st->name, t->name, dt);
    b = st->data + t->begin;
    for (j = 0; j < n; j++, b += size) {
        uint64_t v = eegnn__st_le(b, size);
        float f;
        if (!strcmp(dt, "F32")) {
            uint32_t u = (uint32_t)v;
            memcpy(&f, &u, 4);
        } else if (!strcmp(dt, "F64")) {
            double d;
            memcpy(&d, &v, 8);
            f = (float)d;
        } else if (!strcmp(dt, "F16")) {
            f = eegnn__st_half((unsigned)v);
        } else if (!strcmp(dt, "BF16")) {
            uint32_t u = (uint32_t)v << 16;
            memcpy(&f, &u, 4);
        } else if (dt[0] == 'U') {
            f = (float)v;
        } else { /* signed integers: sign-extend */
            int shift = 64 - 8 * size;
            f = (float)((int64_t)(v << shift) >> shift);
        }
        dst[j] = f;
    }
    return EEGNN_OK;
}

/* ---- Graph save / load ---- */

static int eegnn__st_saved(const eegnn_tensor *t) {
    return (t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER)) != 0;
}

/* Entry k of the file being written: graph tensors first, then extras. */
static int eegnn__st_entry_at(eegnn_graph *g, const eegnn_safetensors_entry *extra, int n_extra, int k,
                              eegnn_safetensors_entry *e) {
    int i, n = g ? eegnn_graph_n_nodes(g) : 0, seen = 0;
    for (i = 0; i < n; i++) {
        const eegnn_tensor *t = eegnn_graph_node(g, i);
        int d;
        if (!eegnn__st_saved(t)) continue;
        if (seen++ < k) continue;
        e->name = t->name;
        e->data = t->data;
        e->ndim = t->ndim;
        for (d = 0; d < t->ndim; d++) e->shape[d] = t->shape[d];
        return 1;
    }
    k -= seen;
    if (k < 0 || k >= n_extra) return 0;
    *e = extra[k];
    return 1;
}

static size_t eegnn__st_entry_numel(const eegnn_safetensors_entry *e) {
    size_t n = 1;
    int d;
    for (d = 0; d < e->ndim; d++) n *= (size_t)e->shape[d];
    return n;
}

EEGNN_API eegnn_status eegnn_save_safetensors(eegnn_graph *g, const char *path, const char *const *metadata_keys,
                                              const char *const *metadata_values, int n_metadata) {
    if (!g) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_save_safetensors: graph is NULL");
    return eegnn_save_safetensors_ex(g, path, metadata_keys, metadata_values, n_metadata, NULL, 0);
}

EEGNN_API eegnn_status eegnn_save_safetensors_ex(eegnn_graph *g, const char *path,
                                                 const char *const *metadata_keys,
                                                 const char *const *metadata_values, int n_metadata,
                                                 const eegnn_safetensors_entry *extra, int n_extra) {
    eegnn__strbuf sb;
    eegnn__outfile of;
    eegnn_status s;
    uint64_t off = 0, hlen;
    unsigned char len8[8];
    eegnn_safetensors_entry e, f;
    int i, j, first = 1;
    if (!path || n_metadata < 0 || n_extra < 0 || (n_metadata > 0 && (!metadata_keys || !metadata_values)) ||
        (n_extra > 0 && !extra))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_save_safetensors: path, metadata or extra arrays are NULL");
    for (i = 0; i < n_metadata; i++) {
        if (!metadata_keys[i] || !metadata_values[i] || !strcmp(metadata_keys[i], "__metadata__"))
            return eegnn_set_error(EEGNN_ERR_ARG, "%s: metadata entry %d is NULL or named __metadata__", path, i);
        for (j = 0; j < i; j++)
            if (!strcmp(metadata_keys[i], metadata_keys[j]))
                return eegnn_set_error(EEGNN_ERR_ARG, "%s: duplicate metadata key '%s'", path, metadata_keys[i]);
    }
    for (i = 0; eegnn__st_entry_at(g, extra, n_extra, i, &e); i++) {
        if (!e.name || !e.name[0] || !strcmp(e.name, "__metadata__") || !e.data || e.ndim < 0 ||
            e.ndim > EEGNN_SAFETENSORS_MAX_DIMS)
            return eegnn_set_error(EEGNN_ERR_ARG, "%s: tensor %d has no usable name, data or shape", path, i);
        for (j = 0; j < i; j++) {
            eegnn__st_entry_at(g, extra, n_extra, j, &f);
            if (!strcmp(e.name, f.name)) return eegnn_set_error(EEGNN_ERR_ARG, "%s: two tensors are named '%s'", path, e.name);
        }
    }
    memset(&sb, 0, sizeof sb);
    eegnn__sb_append(&sb, "{", 1);
    if (n_metadata > 0) {
        eegnn__sb_append(&sb, "\"__metadata__\":{", 16);
        for (i = 0; i < n_metadata; i++) {
            if (i) eegnn__sb_append(&sb, ",", 1);
            eegnn__sb_json_string(&sb, metadata_keys[i]);
            eegnn__sb_append(&sb, ":", 1);
            eegnn__sb_json_string(&sb, metadata_values[i]);
        }
        eegnn__sb_append(&sb, "}", 1);
        first = 0;
    }
    for (i = 0; eegnn__st_entry_at(g, extra, n_extra, i, &e); i++) {
        int d;
        size_t numel = eegnn__st_entry_numel(&e);
        if (!first) eegnn__sb_append(&sb, ",", 1);
        first = 0;
        eegnn__sb_json_string(&sb, e.name);
        eegnn__sb_printf(&sb, ":{\"dtype\":\"F32\",\"shape\":[");
        for (d = 0; d < e.ndim; d++) eegnn__sb_printf(&sb, d ? ",%lld" : "%lld", (long long)e.shape[d]);
        eegnn__sb_printf(&sb, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                         (unsigned long long)(off + 4 * (uint64_t)numel));
        off += 4 * (uint64_t)numel;
    }
    eegnn__sb_append(&sb, "}", 1);
    while (sb.len % 8) eegnn__sb_append(&sb, " ", 1);
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory building the safetensors header", path);
    }
    hlen = sb.len;
    for (i = 0; i < 8; i++) len8[i] = (unsigned char)(hlen >> (8 * i));
    if ((s = eegnn__outfile_open(&of, path))) {
        eegnn__sb_free(&sb);
        return s;
    }
    s = eegnn__outfile_write(&of, len8, 8);
    if (!s) s = eegnn__outfile_write(&of, sb.p, sb.len);
    eegnn__sb_free(&sb);
    for (i = 0; !s && eegnn__st_entry_at(g, extra, n_extra, i, &e); i++) {
        unsigned char buf[4096];
        size_t k = 0, m, numel = eegnn__st_entry_numel(&e);
        while (k < numel && !s) {
            m = EEGNN__MIN(numel - k, sizeof buf / 4);
            for (j = 0; j < (int)m; j++) {
                uint32_t u;
                memcpy(&u, &e.data[k + (size_t)j], 4);
                buf[4 * j] = (unsigned char)u;
                buf[4 * j + 1] = (unsigned char)(u >> 8);
                buf[4 * j + 2] = (unsigned char)(u >> 16);
                buf[4 * j + 3] = (unsigned char)(u >> 24);
            }
            s = eegnn__outfile_write(&of, buf, 4 * m);
            k += m;
        }
    }
    if (s) {
        eegnn__outfile_abort(&of);
        return s;
    }
    return eegnn__outfile_commit(&of);
}

EEGNN_API eegnn_status eegnn_load_safetensors(eegnn_graph *g, const char *path, int flags) {
    eegnn_safetensors *st;
    int i, n, strict = !(flags & EEGNN_LOAD_NONSTRICT);
    eegnn_status s = EEGNN_OK;
    if (!g || !path) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_load_safetensors: graph or path is NULL");
    if ((s = eegnn__st_open(path, &st))) return s;
    n = eegnn_graph_n_nodes(g);
    /* check everything first, so a failed load changes nothing */
    for (i = 0; i < n && !s; i++) {
        const eegnn_tensor *t = eegnn_graph_node(g, i);
        int k, d, same;
        const eegnn__st_tensor *f;
        if (!eegnn__st_saved(t) || !t->name[0]) continue;
        k = eegnn_safetensors_find(st, t->name);
        if (k < 0) {
            if (strict)
                s = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: missing key '%s' (the model's %s tensor)", path,
                                    t->name, (t->flags & EEGNN_TENSOR_PARAM) ? "parameter" : "buffer");
            continue;
        }
        f = &st->tensors[k];
        same = f->ndim == t->ndim;
        for (d = 0; same && d < t->ndim; d++) same = f->shape[d] == (int64_t)t->shape[d];
        if (!same) {
            char want[64], got[128];
            size_t used = 0;
            got[0] = '\0';
            used += (size_t)snprintf(got, sizeof got, "(");
            for (d = 0; d < f->ndim && used < sizeof got; d++)
                used += (size_t)snprintf(got + used, sizeof got - used, d ? ", %lld" : "%lld", (long long)f->shape[d]);
            if (used < sizeof got) snprintf(got + used, sizeof got - used, ")");
            s = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: key '%s' has shape %s in the file, the model expects %s",
                                path, t->name, got, eegnn_shape_str(t, want, sizeof want));
        } else if (!eegnn__st_is_float(f->dtype)) {
            s = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: key '%s' has dtype %s, expected a float dtype", path, t->name,
                                eegnn__st_dtypes[f->dtype]);
        }
    }
    for (i = 0; i < st->n_tensors && !s && strict; i++) {
        const char *name = st->tensors[i].name;
        const eegnn_tensor *t = eegnn_graph_find(g, name);
        if (eegnn__ends_with(name, ".num_batches_tracked") || !strcmp(name, "num_batches_tracked")) continue;
        if (!strncmp(name, "optimizer.", 10) || !strncmp(name, "best.", 5) || !strncmp(name, "ema.", 4)) continue;
        if (!t || !eegnn__st_saved(t))
            s = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: unexpected key '%s' (the model has no such parameter or buffer)",
                                path, name);
    }
    for (i = 0; i < n && !s; i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        int k;
        if (!eegnn__st_saved(t) || !t->name[0]) continue;
        k = eegnn_safetensors_find(st, t->name);
        if (k >= 0) s = eegnn_safetensors_read_f32(st, k, t->data, t->numel);
    }
    eegnn_safetensors_close(st);
    return s;
}
