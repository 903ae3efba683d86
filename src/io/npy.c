/* .npy read/write following numpy.lib.format (NEP 1): magic "\x93NUMPY",
 * version, little-endian header length (2 bytes in v1, 4 in v2/v3), a
 * Python-literal dict header padded to a multiple of 64 bytes, raw data. */

EEGNN_API eegnn_status eegnn_npy_write(const char *path, const float *data, int ndim, const int64_t *shape) {
    eegnn__outfile of;
    char dict[512];
    unsigned char pre[10];
    size_t numel = 1, len, total, i;
    int d, pos;
    eegnn_status st;
    if (ndim < 0 || ndim > EEGNN_NPY_MAX_DIMS)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: npy arrays of %d dimensions are not supported", path, ndim);
    pos = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (d = 0; d < ndim; d++) {
        if (shape[d] < 0) return eegnn_set_error(EEGNN_ERR_ARG, "%s: negative dimension %d", path, d);
        numel *= (size_t)shape[d];
        pos += snprintf(dict + pos, sizeof dict - (size_t)pos, "%s%lld", d ? ", " : "", (long long)shape[d]);
    }
    if (ndim == 1) dict[pos++] = ','; /* Python's 1-tuple "(n,)" */
    pos += snprintf(dict + pos, sizeof dict - (size_t)pos, "), }");
    len = (size_t)pos;
    total = 10 + len + 1;
    while (total % 64) {
        dict[len++] = ' ';
        total++;
    }
    dict[len++] = '\n';
    memcpy(pre, "\x93NUMPY\x01\x00", 8);
    pre[8] = (unsigned char)(len & 0xff);
    pre[9] = (unsigned char)(len >> 8);
    st = eegnn__outfile_open(&of, path);
    if (st) return st;
    st = eegnn__outfile_write(&of, pre, 10);
    if (!st) st = eegnn__outfile_write(&of, dict, len);
    for (i = 0; !st && i < numel; i++) {
        unsigned char b[4];
        uint32_t u;
        memcpy(&u, &data[i], 4);
        b[0] = (unsigned char)u;
        b[1] = (unsigned char)(u >> 8);
        b[2] = (unsigned char)(u >> 16);
        b[3] = (unsigned char)(u >> 24);
        st = eegnn__outfile_write(&of, b, 4);
    }
    if (st) {
        eegnn__outfile_abort(&of);
        return st;
    }
    return eegnn__outfile_commit(&of);
}

/* Finds `'key':` in the header dict and returns a pointer past the colon. */
static const char *eegnn__npy_key(const char *hdr, const char *key) {
    const char *p = strstr(hdr, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '\'' || *p == '"') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

EEGNN_API float *eegnn_npy_read(const char *path, int *ndim, int64_t shape[EEGNN_NPY_MAX_DIMS], size_t *numel) {
    char *buf = NULL, *hdr = NULL;
    size_t len = 0, hlen, off, n = 1, itemsize = 0, i;
    const char *p;
    char descr[8];
    int nd = 0;
    float *out = NULL;
    if (eegnn__read_file(path, &buf, &len)) return NULL;
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
        goto fail;
    }
    if (buf[6] == 1) {
        hlen = (size_t)(unsigned char)buf[8] | ((size_t)(unsigned char)buf[9] << 8);
        off = 10;
    } else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
        hlen = (size_t)(unsigned char)buf[8] | ((size_t)(unsigned char)buf[9] << 8) |
               ((size_t)(unsigned char)buf[10] << 16) | ((size_t)(unsigned char)buf[11] << 24);
        off = 12;
    } else {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: unsupported .npy version %d", path, buf[6]);
        goto fail;
    }
    if (hlen > len - off) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: header of %zu bytes runs past the end of the file", path, hlen);
        goto fail;
    }
    hdr = eegnn__strndup(buf + off, hlen);
    if (!hdr) goto fail;
    off += hlen;
    p = eegnn__npy_key(hdr, "descr");
    if (!p || *p != '\'' || strlen(p) < 5) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: header has no 'descr'", path);
        goto fail;
    }
    memcpy(descr, p + 1, 3);
    descr[3] = '\0';
    if (!strcmp(descr, "<f4") || !strcmp(descr, "<i4"))
        itemsize = 4;
    else if (!strcmp(descr, "<f8") || !strcmp(descr, "<i8"))
        itemsize = 8;
    else if (!strcmp(descr, "|u1") || !strcmp(descr, "|b1"))
        itemsize = 1;
    else {
        eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: dtype '%s' is not supported (use float32/64, int32/64, uint8, bool)",
                        path, descr);
        goto fail;
    }
    p = eegnn__npy_key(hdr, "fortran_order");
    if (!p || strncmp(p, "False", 5) != 0) {
        eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: Fortran-order arrays are not supported", path);
        goto fail;
    }
    p = eegnn__npy_key(hdr, "shape");
    if (!p || *p != '(') {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: header has no 'shape'", path);
        goto fail;
    }
    p++;
    for (;;) {
        char *end;
        long long v;
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        v = strtoll(p, &end, 10);
        if (end == p || v < 0 || nd >= EEGNN_NPY_MAX_DIMS) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: bad 'shape' in header", path);
            goto fail;
        }
        shape[nd++] = v;
        if (v && n > (size_t)-1 / 16 / (size_t)v) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: shape too large", path);
            goto fail;
        }
        n *= (size_t)v;
        p = end;
    }
    if (n * itemsize > len - off) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: truncated: %zu data bytes expected, %zu present", path,
                        n * itemsize, len - off);
        goto fail;
    }
    out = (float *)eegnn__calloc(n ? n : 1, sizeof(float));
    if (!out) goto fail;
    for (i = 0; i < n; i++) {
        const unsigned char *b = (const unsigned char *)buf + off + i * itemsize;
        uint64_t u = 0;
        size_t k;
        for (k = 0; k < itemsize; k++) u |= (uint64_t)b[k] << (8 * k);
        if (!strcmp(descr, "<f4")) {
            uint32_t u32 = (uint32_t)u;
            memcpy(&out[i], &u32, 4);
        } else if (!strcmp(descr, "<f8")) {
            double dv;
            memcpy(&dv, &u, 8);
            out[i] = (float)dv;
        } else if (!strcmp(descr, "<i4")) {
            out[i] = (float)(int32_t)(uint32_t)u;
        } else if (!strcmp(descr, "<i8")) {
            out[i] = (float)(int64_t)u;
        } else {
            out[i] = (float)u;
        }
    }
    *ndim = nd;
    if (numel) *numel = n;
    EEGNN_FREE(hdr);
    EEGNN_FREE(buf);
    return out;
fail:
    EEGNN_FREE(out);
    EEGNN_FREE(hdr);
    EEGNN_FREE(buf);
    return NULL;
}
