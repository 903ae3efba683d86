/* MATLAB MAT-file level 5 reader (see matfile.h). */

#ifdef EEGNN_USE_ZLIB
#include <zlib.h>
#endif

enum {
    EEGNN__MI_INT8 = 1,
    EEGNN__MI_UINT8 = 2,
    EEGNN__MI_INT16 = 3,
    EEGNN__MI_UINT16 = 4,
    EEGNN__MI_INT32 = 5,
    EEGNN__MI_UINT32 = 6,
    EEGNN__MI_SINGLE = 7,
    EEGNN__MI_DOUBLE = 9,
    EEGNN__MI_INT64 = 12,
    EEGNN__MI_UINT64 = 13,
    EEGNN__MI_MATRIX = 14,
    EEGNN__MI_COMPRESSED = 15,
    EEGNN__MI_UTF8 = 16,
    EEGNN__MI_UTF16 = 17,
    EEGNN__MI_UTF32 = 18
};

#define EEGNN__MAT_MAX_DEPTH 64

typedef struct eegnn__mat_reader {
    const char *path;
    int swap; /* 1 when the file's byte order differs from this machine's */
} eegnn__mat_reader;

/* One data element: type, payload and where the next element starts. */
typedef struct eegnn__mat_elem {
    uint32_t type;
    const unsigned char *data;
    size_t nbytes;
    size_t next; /* offset of the following element in the buffer */
} eegnn__mat_elem;

static int eegnn__host_le(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static uint32_t eegnn__mat_u32(const eegnn__mat_reader *r, const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    if (r->swap)
        v = (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
    return v;
}

static void eegnn__mat_swap(unsigned char *p, size_t w) {
    size_t i;
    for (i = 0; i < w / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[w - 1 - i];
        p[w - 1 - i] = t;
    }
}

static size_t eegnn__mi_width(uint32_t type) {
    switch (type) {
    case EEGNN__MI_INT8:
    case EEGNN__MI_UINT8:
    case EEGNN__MI_UTF8: return 1;
    case EEGNN__MI_INT16:
    case EEGNN__MI_UINT16:
    case EEGNN__MI_UTF16: return 2;
    case EEGNN__MI_INT32:
    case EEGNN__MI_UINT32:
    case EEGNN__MI_SINGLE:
    case EEGNN__MI_UTF32: return 4;
    case EEGNN__MI_DOUBLE:
    case EEGNN__MI_INT64:
    case EEGNN__MI_UINT64: return 8;
    default: return 0;
    }
}

/* Element i of a numeric data element, as double. */
static double eegnn__mi_get(const eegnn__mat_reader *r, uint32_t type, const unsigned char *p, size_t i) {
    unsigned char b[8];
    size_t w = eegnn__mi_width(type);
    memcpy(b, p + i * w, w);
    if (r->swap)
        eegnn__mat_swap(b, w);
    switch (type) {
    case EEGNN__MI_INT8: {
        int8_t v;
        memcpy(&v, b, 1);
        return v;
    }
    case EEGNN__MI_UINT8:
    case EEGNN__MI_UTF8: return b[0];
    case EEGNN__MI_INT16: {
        int16_t v;
        memcpy(&v, b, 2);
        return v;
    }
    case EEGNN__MI_UINT16:
    case EEGNN__MI_UTF16: {
        uint16_t v;
        memcpy(&v, b, 2);
        return v;
    }
    case EEGNN__MI_INT32: {
        int32_t v;
        memcpy(&v, b, 4);
        return v;
    }
    case EEGNN__MI_UINT32:
    case EEGNN__MI_UTF32: {
        uint32_t v;
        memcpy(&v, b, 4);
        return v;
    }
    case EEGNN__MI_SINGLE: {
        float v;
        memcpy(&v, b, 4);
        return v;
    }
    case EEGNN__MI_DOUBLE: {
        double v;
        memcpy(&v, b, 8);
        return v;
    }
    case EEGNN__MI_INT64: {
        int64_t v;
        memcpy(&v, b, 8);
        return (double)v;
    }
    case EEGNN__MI_UINT64: {
        uint64_t v;
        memcpy(&v, b, 8);
        return (double)v;
    }
    default: return 0.0;
    }
}

/* Reads the tag at buf[off] (regular or small data element format) and checks
 * that the payload fits in the buffer. */
static eegnn_status eegnn__mat_elem_at(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, size_t off,
                                       const char *what, eegnn__mat_elem *e) {
    uint32_t w0, nbytes;
    if (off > len || len - off < 8)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: truncated MAT-file: %s tag at byte %zu needs 8 bytes, %zu left",
                               r->path, what, off, off > len ? (size_t)0 : len - off);
    w0 = eegnn__mat_u32(r, buf + off);
    if (w0 >> 16) { /* small data element: 2-byte size, 2-byte type, 4 bytes of data */
        uint32_t n = w0 >> 16, t = w0 & 0xFFFFu;
        if (n > 4)
            return eegnn_set_error(EEGNN_ERR_FORMAT,
                                   "%s: corrupt MAT-file: %s small element at byte %zu says %u bytes (at most 4)",
                                   r->path, what, off, (unsigned)n);
        e->type = t;
        e->data = buf + off + 4;
        e->nbytes = n;
        e->next = off + 8;
        return EEGNN_OK;
    }
    nbytes = eegnn__mat_u32(r, buf + off + 4);
    if ((size_t)nbytes > len - off - 8)
        return eegnn_set_error(
            EEGNN_ERR_FORMAT, "%s: corrupt or truncated MAT-file: %s element at byte %zu says %lu bytes, only %zu left",
            r->path, what, off, (unsigned long)nbytes, len - off - 8);
    e->type = w0;
    e->data = buf + off + 8;
    e->nbytes = nbytes;
    if (w0 == EEGNN__MI_COMPRESSED) {
        e->next = off + 8 + (size_t)nbytes; /* compressed elements are not padded */
    } else {
        size_t padded = ((size_t)nbytes + 7) & ~(size_t)7;
        e->next = padded > len - off - 8 ? len : off + 8 + padded;
    }
    return EEGNN_OK;
}

static void eegnn__mat_value_free(eegnn_mat_value *v) {
    int64_t i, n_items;
    if (!v)
        return;
    n_items = 0;
    if (v->items)
        n_items = v->mx_class == EEGNN_MAT_CELL ? v->n : v->n * v->n_fields;
    for (i = 0; i < n_items; i++)
        eegnn__mat_value_free(v->items[i]);
    for (i = 0; i < v->n_fields; i++)
        EEGNN_FREE(v->fields[i]);
    EEGNN_FREE(v->items);
    EEGNN_FREE(v->fields);
    EEGNN_FREE(v->name);
    EEGNN_FREE(v->dims);
    EEGNN_FREE(v->re);
    EEGNN_FREE(v->str);
    EEGNN_FREE(v);
}

static eegnn_status eegnn__mat_parse_matrix(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, int depth,
                                            eegnn_mat_value **out);

/* Parses the miMATRIX or miCOMPRESSED element e into *out (NULL for elements of
 * other types, which are skipped as scipy does). */
static eegnn_status eegnn__mat_parse_elem(const eegnn__mat_reader *r, const eegnn__mat_elem *e, int depth,
                                          eegnn_mat_value **out) {
    *out = NULL;
    if (depth > EEGNN__MAT_MAX_DEPTH)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: MAT-file arrays nested deeper than %d levels", r->path,
                               EEGNN__MAT_MAX_DEPTH);
    if (e->type == EEGNN__MI_MATRIX)
        return eegnn__mat_parse_matrix(r, e->data, e->nbytes, depth, out);
    if (e->type == EEGNN__MI_COMPRESSED) {
#ifdef EEGNN_USE_ZLIB
        /* deflate expands at most ~1032:1; a larger claim is corrupt */
        size_t cap = 1024, limit = e->nbytes * 1100 + 4096, used = 0;
        unsigned char *dst = (unsigned char *)EEGNN_MALLOC(cap);
        z_stream zs;
        int zr;
        eegnn_status st;
        eegnn__mat_elem inner;
        if (!dst)
            return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory inflating a compressed element", r->path);
        memset(&zs, 0, sizeof zs);
        if (inflateInit(&zs) != Z_OK) {
            EEGNN_FREE(dst);
            return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: zlib inflateInit failed", r->path);
        }
        zs.next_in = (Bytef *)e->data;
        zs.avail_in = (uInt)e->nbytes;
        for (;;) {
            if (used == cap) {
                size_t ncap = cap * 2 > limit ? limit : cap * 2;
                unsigned char *nd;
                if (ncap <= cap) {
                    inflateEnd(&zs);
                    EEGNN_FREE(dst);
                    return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt compressed element: inflates past %zu bytes",
                                           r->path, limit);
                }
                nd = (unsigned char *)EEGNN_REALLOC(dst, ncap);
                if (!nd) {
                    inflateEnd(&zs);
                    EEGNN_FREE(dst);
                    return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory inflating a compressed element",
                                           r->path);
                }
                dst = nd;
                cap = ncap;
            }
            zs.next_out = dst + used;
            zs.avail_out = (uInt)(cap - used > 0x40000000u ? 0x40000000u : cap - used);
            {
                uInt before = zs.avail_out;
                zr = inflate(&zs, Z_NO_FLUSH);
                used += before - zs.avail_out;
            }
            if (zr == Z_STREAM_END)
                break;
            if (zr != Z_OK && !(zr == Z_BUF_ERROR && used == cap)) {
                inflateEnd(&zs);
                EEGNN_FREE(dst);
                return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt or truncated compressed element (zlib: %s)",
                                       r->path, zs.msg ? zs.msg : "stream ended early");
            }
        }
        inflateEnd(&zs);
        st = eegnn__mat_elem_at(r, dst, used, 0, "compressed", &inner);
        if (st == EEGNN_OK)
            st = eegnn__mat_parse_elem(r, &inner, depth + 1, out);
        EEGNN_FREE(dst);
        return st;
#else
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                               "%s: the MAT-file holds compressed (MAT v7) data; this build has no zlib support: "
                               "rebuild with -DEEGNN_USE_ZLIB and link with -lz",
                               r->path);
#endif
    }
    return EEGNN_OK;
}

/* UTF-8 encoding of code point c into s (at least 4 bytes); returns bytes written. */
static int eegnn__mat_utf8_put(char *s, uint32_t c) {
    if (c < 0x80) {
        s[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        s[0] = (char)(0xC0 | (c >> 6));
        s[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        s[0] = (char)(0xE0 | (c >> 12));
        s[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        s[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    if (c > 0x10FFFF)
        c = 0xFFFD;
    if (c >= 0x10000 && c <= 0x10FFFF) {
        s[0] = (char)(0xF0 | (c >> 18));
        s[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        s[3] = (char)(0x80 | (c & 0x3F));
        return 4;
    }
    return eegnn__mat_utf8_put(s, 0xFFFD);
}

#define EEGNN__MAT_OOM(r) eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading the MAT-file", (r)->path)

/* An empty 0x0 double array named "" (empty cells, function handles, opaque
 * objects); v's class is set by the caller. */
static eegnn_status eegnn__mat_empty(const eegnn__mat_reader *r, eegnn_mat_value *v) {
    v->name = eegnn__strdup("");
    v->dims = (int64_t *)eegnn__calloc(2, sizeof(int64_t));
    if (!v->name || !v->dims) return EEGNN__MAT_OOM(r);
    v->ndims = 2;
    v->n = 0;
    return EEGNN_OK;
}

/* The dimensions and name subelements at *off into v (dims, ndims, n, name). */
static eegnn_status eegnn__mat_dims_name(const eegnn__mat_reader *r, const unsigned char *buf, size_t len,
                                         size_t *off, eegnn_mat_value *v) {
    eegnn__mat_elem e;
    eegnn_status st;
    int64_t n = 1;
    size_t i;
    if ((st = eegnn__mat_elem_at(r, buf, len, *off, "dimensions", &e)) != EEGNN_OK) return st;
    if (e.type != EEGNN__MI_INT32 || e.nbytes < 8 || e.nbytes % 4)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: dimensions element has type %u and %zu bytes",
                               r->path, (unsigned)e.type, e.nbytes);
    v->ndims = (int)(e.nbytes / 4);
    v->dims = (int64_t *)eegnn__calloc((size_t)v->ndims, sizeof(int64_t));
    if (!v->dims) return EEGNN__MAT_OOM(r);
    for (i = 0; i < (size_t)v->ndims; i++) {
        int32_t d = (int32_t)eegnn__mat_u32(r, e.data + 4 * i);
        if (d < 0)
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: negative dimension %ld", r->path, (long)d);
        v->dims[i] = d;
        if (d && n > ((int64_t)1 << 48) / d)
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: array dimensions too large", r->path);
        n *= d;
    }
    v->n = n;
    if ((st = eegnn__mat_elem_at(r, buf, len, e.next, "array name", &e)) != EEGNN_OK) return st;
    if (!(v->name = eegnn__strndup((const char *)e.data, e.nbytes))) return EEGNN__MAT_OOM(r);
    *off = e.next;
    return EEGNN_OK;
}

/* The real part of a numeric array (v->n values, converted to double). */
static eegnn_status eegnn__mat_numeric(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, size_t off,
                                       eegnn_mat_value *v) {
    eegnn__mat_elem e;
    eegnn_status st;
    size_t w, i;
    if ((st = eegnn__mat_elem_at(r, buf, len, off, "real part", &e)) != EEGNN_OK) return st;
    w = eegnn__mi_width(e.type);
    if (!w || e.type >= EEGNN__MI_UTF8 || e.nbytes / w != (size_t)v->n)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: corrupt MAT-file: array '%s' has %lld elements but its data element has type %u "
                               "and %zu bytes",
                               r->path, v->name, (long long)v->n, (unsigned)e.type, e.nbytes);
    v->data_type = (int)e.type;
    if (!(v->re = (double *)eegnn__calloc((size_t)v->n + 1, sizeof(double)))) return EEGNN__MAT_OOM(r);
    for (i = 0; i < (size_t)v->n; i++) v->re[i] = eegnn__mi_get(r, e.type, e.data, i);
    return EEGNN_OK;
}

/* A char array as UTF-8 (UTF-16 surrogate pairs joined, NUL as U+FFFD). */
static eegnn_status eegnn__mat_char(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, size_t off,
                                    eegnn_mat_value *v) {
    eegnn__mat_elem e;
    eegnn_status st;
    size_t w, o = 0, i, n = (size_t)v->n;
    if ((st = eegnn__mat_elem_at(r, buf, len, off, "char data", &e)) != EEGNN_OK) return st;
    w = eegnn__mi_width(e.type);
    if (!w || e.type == EEGNN__MI_SINGLE || e.type == EEGNN__MI_DOUBLE)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: char array '%s' stored as type %u", r->path,
                               v->name, (unsigned)e.type);
    if (e.type == EEGNN__MI_UTF8) { /* already UTF-8 */
        if (!(v->str = eegnn__strndup((const char *)e.data, e.nbytes))) return EEGNN__MAT_OOM(r);
        return EEGNN_OK;
    }
    if (e.nbytes / w != n)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: corrupt MAT-file: char array '%s' has %lld characters but %zu bytes of data",
                               r->path, v->name, (long long)v->n, e.nbytes);
    if (!(v->str = (char *)eegnn__calloc(n * 4 + 1, 1))) return EEGNN__MAT_OOM(r);
    for (i = 0; i < n; i++) {
        uint32_t c = (uint32_t)eegnn__mi_get(r, e.type, e.data, i);
        if ((e.type == EEGNN__MI_UTF16 || e.type == EEGNN__MI_UINT16) && c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
            uint32_t lo = (uint32_t)eegnn__mi_get(r, e.type, e.data, i + 1); /* surrogate pair */
            if (lo >= 0xDC00 && lo < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            }
        }
        if (c == 0) c = 0xFFFD;
        o += (size_t)eegnn__mat_utf8_put(v->str + o, c);
    }
    v->str[o] = '\0';
    return EEGNN_OK;
}

/* n_items elements (miMATRIX) from off into the new v->items, each parsed
 * at depth + 1. */
static eegnn_status eegnn__mat_items(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, size_t off,
                                     int depth, size_t n_items, const char *what, eegnn_mat_value *v) {
    eegnn__mat_elem e;
    eegnn_status st;
    size_t i;
    if (!(v->items = (eegnn_mat_value **)eegnn__calloc(n_items + 1, sizeof *v->items))) return EEGNN__MAT_OOM(r);
    for (i = 0; i < n_items; i++) {
        if ((st = eegnn__mat_elem_at(r, buf, len, off, what, &e)) != EEGNN_OK) return st;
        if ((st = eegnn__mat_parse_elem(r, &e, depth + 1, &v->items[i])) != EEGNN_OK) return st;
        off = e.next;
    }
    return EEGNN_OK;
}

/* A struct or object array: (class name,) field names, then every
 * element's fields in order. */
static eegnn_status eegnn__mat_struct(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, size_t off,
                                      int depth, eegnn_mat_value *v) {
    eegnn__mat_elem e;
    eegnn_status st;
    size_t fl, nf, k;
    if (v->mx_class == EEGNN_MAT_OBJECT) { /* class name */
        if ((st = eegnn__mat_elem_at(r, buf, len, off, "class name", &e)) != EEGNN_OK) return st;
        off = e.next;
    }
    if ((st = eegnn__mat_elem_at(r, buf, len, off, "field name length", &e)) != EEGNN_OK) return st;
    if (e.nbytes < 4 || e.type != EEGNN__MI_INT32)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: struct '%s' field name length element",
                               r->path, v->name);
    fl = (size_t)eegnn__mat_u32(r, e.data);
    if ((st = eegnn__mat_elem_at(r, buf, len, e.next, "field names", &e)) != EEGNN_OK) return st;
    if (fl == 0 || fl > 4096 || e.nbytes % fl)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: corrupt MAT-file: struct '%s' field names (%zu bytes) do not match name length %zu",
                               r->path, v->name, e.nbytes, fl);
    nf = e.nbytes / fl;
    if (nf > 0 && (size_t)v->n > ((len - e.next) / 8 + 1) / nf)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: corrupt MAT-file: struct '%s' claims %lld elements x %zu fields in %zu bytes",
                               r->path, v->name, (long long)v->n, nf, len - e.next);
    if (!(v->fields = (char **)eegnn__calloc(nf + 1, sizeof(char *)))) return EEGNN__MAT_OOM(r);
    v->n_fields = (int)nf;
    for (k = 0; k < nf; k++) {
        const char *s = (const char *)e.data + k * fl;
        if (!(v->fields[k] = eegnn__strndup(s, strnlen(s, fl)))) return EEGNN__MAT_OOM(r);
    }
    return eegnn__mat_items(r, buf, len, e.next, depth, (size_t)v->n * nf, "struct field", v);
}

/* A miMATRIX element's content (buf, len bytes): array flags, dimensions,
 * name, then the class's data. */
static eegnn_status eegnn__mat_parse_matrix(const eegnn__mat_reader *r, const unsigned char *buf, size_t len, int depth,
                                            eegnn_mat_value **out) {
    eegnn_mat_value *v;
    eegnn__mat_elem e;
    eegnn_status st = EEGNN_OK;
    uint32_t flags;
    size_t off = 0;
    *out = NULL;
    if (!(v = (eegnn_mat_value *)eegnn__calloc(1, sizeof *v))) return EEGNN__MAT_OOM(r);
    if (len == 0) { /* empty cell entries are written as zero-length matrices */
        v->mx_class = EEGNN_MAT_DOUBLE;
        st = eegnn__mat_empty(r, v);
        goto done;
    }
    if ((st = eegnn__mat_elem_at(r, buf, len, off, "array flags", &e)) != EEGNN_OK) goto done;
    if (e.type != EEGNN__MI_UINT32 || e.nbytes < 8) {
        st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: array flags element has type %u and %zu bytes",
                             r->path, (unsigned)e.type, e.nbytes);
        goto done;
    }
    flags = eegnn__mat_u32(r, e.data);
    v->mx_class = (int)(flags & 0xFF);
    v->is_logical = (flags & 0x0200) != 0;
    off = e.next;
    if (v->mx_class == 16 || v->mx_class == 17) { /* function handles, opaque (MCOS) objects: read as empty */
        v->mx_class = 0;
        st = eegnn__mat_empty(r, v);
        goto done;
    }
    if ((st = eegnn__mat_dims_name(r, buf, len, &off, v)) != EEGNN_OK) goto done;
    switch (v->mx_class) {
    case EEGNN_MAT_DOUBLE:
    case EEGNN_MAT_SINGLE:
    case EEGNN_MAT_INT8:
    case EEGNN_MAT_UINT8:
    case EEGNN_MAT_INT16:
    case EEGNN_MAT_UINT16:
    case EEGNN_MAT_INT32:
    case EEGNN_MAT_UINT32:
    case EEGNN_MAT_INT64:
    case EEGNN_MAT_UINT64: st = eegnn__mat_numeric(r, buf, len, off, v); break;
    case EEGNN_MAT_CHAR: st = eegnn__mat_char(r, buf, len, off, v); break;
    case EEGNN_MAT_CELL:
        if ((size_t)v->n > (len - off) / 8 + 1)
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: corrupt MAT-file: cell '%s' claims %lld elements in %zu bytes",
                                 r->path, v->name, (long long)v->n, len - off);
        else
            st = eegnn__mat_items(r, buf, len, off, depth, (size_t)v->n, "cell element", v);
        break;
    case EEGNN_MAT_STRUCT:
    case EEGNN_MAT_OBJECT: st = eegnn__mat_struct(r, buf, len, off, depth, v); break;
    default: /* sparse matrices and unknown classes: read as empty */
        v->mx_class = 0;
        v->n = 0;
        break;
    }
done:
    if (st != EEGNN_OK) {
        eegnn__mat_value_free(v);
        return st;
    }
    *out = v;
    return EEGNN_OK;
}

EEGNN_API void eegnn_mat_free(eegnn_mat_file *mf) {
    int i;
    if (!mf)
        return;
    for (i = 0; i < mf->n_vars; i++)
        eegnn__mat_value_free(mf->vars[i]);
    EEGNN_FREE(mf->vars);
    EEGNN_FREE(mf->path);
    EEGNN_FREE(mf);
}

EEGNN_API eegnn_mat_file *eegnn_mat_read(const char *path) {
    char *buf = NULL;
    size_t len = 0, off = 128;
    eegnn_mat_file *mf = NULL;
    eegnn__mat_reader r;
    eegnn_status st;
    int cap = 0, i;
    uint16_t version;
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_mat_read: path is NULL");
        return NULL;
    }
    if (eegnn__read_file(path, &buf, &len) != EEGNN_OK)
        return NULL;
    if (len >= 520 && memcmp(buf + 512, "\x89HDF\r\n\x1a\n", 8) == 0)
        goto v73;
    if (len < 128) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: not a MAT-file: %zu bytes, shorter than the 128-byte header", path, len);
        goto fail;
    }
    if (memcmp(buf, "MATLAB 7.3", 10) == 0)
        goto v73;
    r.path = path;
    if (buf[126] == 'I' && buf[127] == 'M') {
        r.swap = !eegnn__host_le();
    } else if (buf[126] == 'M' && buf[127] == 'I') {
        r.swap = eegnn__host_le();
    } else {
        eegnn_set_error(EEGNN_ERR_FORMAT,
                        "%s: not a level 5 MAT-file (no 'IM'/'MI' endian indicator at byte 126; MAT v4 files are not "
                        "supported)",
                        path);
        goto fail;
    }
    memcpy(&version, buf + 124, 2);
    if (r.swap)
        version = (uint16_t)((version >> 8) | (version << 8));
    if (version != 0x0100) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: unsupported MAT-file version 0x%04x in the header (expected 0x0100)",
                        path, (unsigned)version);
        goto fail;
    }
    mf = (eegnn_mat_file *)eegnn__calloc(1, sizeof *mf);
    if (!mf || !(mf->path = eegnn__strdup(path)))
        goto oom;
    memcpy(mf->header, buf, 116);
    mf->header[116] = '\0';
    for (i = 115; i >= 0 && (mf->header[i] == ' ' || mf->header[i] == '\0'); i--)
        mf->header[i] = '\0';
    while (off < len) {
        eegnn__mat_elem e;
        eegnn_mat_value *v = NULL;
        if ((st = eegnn__mat_elem_at(&r, (const unsigned char *)buf, len, off, "variable", &e)) != EEGNN_OK)
            goto fail;
        if ((st = eegnn__mat_parse_elem(&r, &e, 0, &v)) != EEGNN_OK)
            goto fail;
        off = e.next;
        if (!v)
            continue;
        if (mf->n_vars == cap) {
            int ncap = cap ? cap * 2 : 8;
            eegnn_mat_value **nv = (eegnn_mat_value **)EEGNN_REALLOC(mf->vars, (size_t)ncap * sizeof *nv);
            if (!nv) {
                eegnn__mat_value_free(v);
                goto oom;
            }
            mf->vars = nv;
            cap = ncap;
        }
        mf->vars[mf->n_vars++] = v;
    }
    EEGNN_FREE(buf);
    return mf;
v73:
    eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                    "%s: MAT v7.3 (HDF5) files are not supported; open it in MATLAB/EEGLAB and save it as MAT v7, "
                    "e.g. save(fname, '-v7') or pop_saveset(EEG, 'filename', fname, 'version', '7')",
                    path);
    goto fail;
oom:
    eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading the MAT-file", path);
fail:
    EEGNN_FREE(buf);
    eegnn_mat_free(mf);
    return NULL;
}

EEGNN_API const eegnn_mat_value *eegnn_mat_var(const eegnn_mat_file *mf, const char *name) {
    int i;
    if (!mf || !name)
        return NULL;
    for (i = 0; i < mf->n_vars; i++)
        if (strcmp(mf->vars[i]->name, name) == 0)
            return mf->vars[i];
    return NULL;
}

EEGNN_API const eegnn_mat_value *eegnn_mat_field(const eegnn_mat_value *v, int64_t index, const char *name) {
    int k;
    if (!v || !name || (v->mx_class != EEGNN_MAT_STRUCT && v->mx_class != EEGNN_MAT_OBJECT) || !v->items)
        return NULL;
    if (index < 0 || index >= v->n)
        return NULL;
    for (k = 0; k < v->n_fields; k++)
        if (strcmp(v->fields[k], name) == 0)
            return v->items[index * v->n_fields + k];
    return NULL;
}
