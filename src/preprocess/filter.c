/* Butterworth design (scipy.signal.butter, output='sos'), sosfiltfilt and
 * resample_poly, following scipy/signal/_filter_design.py,
 * _signaltools.py, _fir_filter_design.py and windows/_windows.py. */

/* Complex numbers as a plain struct, so the file builds as C and as C++. */
typedef struct eegnn__cplx {
    double re, im;
} eegnn__cplx;

static eegnn__cplx eegnn__c(double re, double im) {
    eegnn__cplx z;
    z.re = re;
    z.im = im;
    return z;
}
static eegnn__cplx eegnn__cadd(eegnn__cplx a, eegnn__cplx b) { return eegnn__c(a.re + b.re, a.im + b.im); }
static eegnn__cplx eegnn__csub(eegnn__cplx a, eegnn__cplx b) { return eegnn__c(a.re - b.re, a.im - b.im); }
static eegnn__cplx eegnn__cmul(eegnn__cplx a, eegnn__cplx b) {
    return eegnn__c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
static eegnn__cplx eegnn__cscale(eegnn__cplx a, double s) { return eegnn__c(a.re * s, a.im * s); }
/* a / b by Smith's algorithm (as NumPy). */
static eegnn__cplx eegnn__cdiv(eegnn__cplx a, eegnn__cplx b) {
    double r, d;
    if (fabs(b.re) >= fabs(b.im)) {
        if (b.re == 0.0 && b.im == 0.0) return eegnn__c(a.re / b.re, a.im / b.re);
        r = b.im / b.re;
        d = b.re + b.im * r;
        return eegnn__c((a.re + a.im * r) / d, (a.im - a.re * r) / d);
    }
    r = b.re / b.im;
    d = b.re * r + b.im;
    return eegnn__c((a.re * r + a.im) / d, (a.im * r - a.re) / d);
}
static double eegnn__cabs(eegnn__cplx a) { return hypot(a.re, a.im); }
/* Principal square root (branch cut on the negative real axis, as NumPy). */
static eegnn__cplx eegnn__csqrt(eegnn__cplx a) {
    double t;
    if (a.re == 0.0 && a.im == 0.0) return eegnn__c(0.0, a.im);
    t = sqrt((fabs(a.re) + eegnn__cabs(a)) * 0.5);
    if (a.re >= 0.0) return eegnn__c(t, a.im / (2.0 * t));
    return eegnn__c(fabs(a.im) / (2.0 * t), a.im >= 0.0 ? t : -t);
}

/* A list of complex roots with a "real" flag per entry (np.isreal after
 * _cplxreal: the imaginary part is exactly 0). */
typedef struct eegnn__roots {
    eegnn__cplx *v;
    int n;
} eegnn__roots;

static void eegnn__roots_delete(eegnn__roots *r, int i) {
    memmove(r->v + i, r->v + i + 1, (size_t)(r->n - i - 1) * sizeof *r->v);
    r->n--;
}

/* Stable sort of v[0..n) by key (insertion sort; n is small). */
static void eegnn__sort_by_key(eegnn__cplx *v, double *key, int n) {
    int i, j;
    for (i = 1; i < n; i++) {
        eegnn__cplx x = v[i];
        double k = key[i];
        for (j = i; j > 0 && key[j - 1] > k; j--) {
            v[j] = v[j - 1];
            key[j] = key[j - 1];
        }
        v[j] = x;
        key[j] = k;
    }
}

/* scipy.signal._filter_design._cplxreal followed by concatenation: on
 * return r holds the conjugate pairs (one entry each, positive imaginary
 * part, averaged) then the real entries (imaginary part exactly 0). tmp
 * needs room for 3 * r->n complex values and r->n doubles (key). */
static eegnn_status eegnn__cplxreal(eegnn__roots *r, eegnn__cplx *tmp, double *key) {
    const double tol = 100.0 * 2.220446049250313e-16;
    int n = r->n, i, j, nr = 0, np_ = 0, nn = 0;
    eegnn__cplx *zr = tmp, *zp = tmp + n, *zn = tmp + 2 * n;
    if (n == 0) return EEGNN_OK;
    /* sort by real part, then by |imag| (np.lexsort, stable) */
    for (i = 0; i < n; i++) key[i] = fabs(r->v[i].im);
    eegnn__sort_by_key(r->v, key, n);
    for (i = 0; i < n; i++) key[i] = r->v[i].re;
    eegnn__sort_by_key(r->v, key, n);
    for (i = 0; i < n; i++) {
        eegnn__cplx z = r->v[i];
        if (fabs(z.im) <= tol * eegnn__cabs(z))
            zr[nr++] = eegnn__c(z.re, 0.0);
        else if (z.im > 0)
            zp[np_++] = z;
        else
            zn[nn++] = z;
    }
    if (np_ != nn) return eegnn_set_error(EEGNN_ERR_NUMERIC, "zpk2sos: complex value with no matching conjugate");
    /* runs of (approximately) equal real part, each sorted by |imag| */
    i = 0;
    while (i < np_) {
        j = i;
        while (j + 1 < np_ && zp[j + 1].re - zp[j].re <= tol * eegnn__cabs(zp[j])) j++;
        if (j > i) {
            int k;
            for (k = i; k <= j; k++) key[k] = fabs(zp[k].im);
            eegnn__sort_by_key(zp + i, key + i, j - i + 1);
            for (k = i; k <= j; k++) key[k] = fabs(zn[k].im);
            eegnn__sort_by_key(zn + i, key + i, j - i + 1);
        }
        i = j + 1;
    }
    for (i = 0; i < np_; i++) {
        eegnn__cplx c = eegnn__c(zn[i].re, -zn[i].im);
        if (eegnn__cabs(eegnn__csub(zp[i], c)) > tol * eegnn__cabs(zn[i]))
            return eegnn_set_error(EEGNN_ERR_NUMERIC, "zpk2sos: complex value with no matching conjugate");
        r->v[i] = eegnn__cscale(eegnn__cadd(zp[i], c), 0.5);
    }
    for (i = 0; i < nr; i++) r->v[np_ + i] = zr[i];
    r->n = np_ + nr;
    return EEGNN_OK;
}

static int eegnn__isreal(eegnn__cplx z) { return z.im == 0.0; }

static int eegnn__count_real(const eegnn__roots *r) {
    int i, c = 0;
    for (i = 0; i < r->n; i++) c += eegnn__isreal(r->v[i]);
    return c;
}

/* np.argmin(np.abs(1 - np.abs(p))) over the entries of p with the flag
 * `only_real` (all entries when 0). -1 when none. */
static int eegnn__idx_worst(const eegnn__roots *p, int only_real) {
    int i, best = -1;
    double bd = 0.0;
    for (i = 0; i < p->n; i++) {
        double d;
        if (only_real && !eegnn__isreal(p->v[i])) continue;
        d = fabs(1.0 - eegnn__cabs(p->v[i]));
        if (best < 0 || d < bd) {
            best = i;
            bd = d;
        }
    }
    return best;
}

/* _nearest_real_complex_idx: the entry of z nearest to `to` among real
 * (which 1), complex (which 2) or any (which 0) entries; -1 when none. */
static int eegnn__nearest_idx(const eegnn__roots *z, eegnn__cplx to, int which) {
    int i, best = -1;
    double bd = 0.0;
    for (i = 0; i < z->n; i++) {
        double d;
        int real = eegnn__isreal(z->v[i]);
        if ((which == 1 && !real) || (which == 2 && real)) continue;
        d = eegnn__cabs(eegnn__csub(z->v[i], to));
        if (best < 0 || d < bd) {
            best = i;
            bd = d;
        }
    }
    return best;
}

/* _single_zpksos: one section from up to two zeros and two poles (zpk2tf
 * with gain 1, real parts, right-aligned in b and a). */
static void eegnn__single_zpksos(const eegnn__cplx *z, int nz, const eegnn__cplx *p, int np_, double *sos) {
    double b[3] = {0, 0, 0}, a[3] = {0, 0, 0};
    int i;
    if (nz == 2) {
        eegnn__cplx m1 = eegnn__c(-z[0].re, -z[0].im), m2 = eegnn__c(-z[1].re, -z[1].im);
        b[0] = 1.0;
        b[1] = m2.re + m1.re;
        b[2] = eegnn__cmul(m1, m2).re;
    } else if (nz == 1) {
        b[1] = 1.0;
        b[2] = -z[0].re;
    } else {
        b[2] = 1.0;
    }
    if (np_ == 2) {
        eegnn__cplx m1 = eegnn__c(-p[0].re, -p[0].im), m2 = eegnn__c(-p[1].re, -p[1].im);
        a[0] = 1.0;
        a[1] = m2.re + m1.re;
        a[2] = eegnn__cmul(m1, m2).re;
    } else if (np_ == 1) {
        a[1] = 1.0;
        a[2] = -p[0].re;
    } else {
        a[2] = 1.0;
    }
    for (i = 0; i < 3; i++) {
        sos[i] = b[i];
        sos[3 + i] = a[i];
    }
}

static eegnn__cplx eegnn__conj(eegnn__cplx z) { return eegnn__c(z.re, -z.im); }

/* zpk2sos(z, p, k, pairing='nearest') for a digital filter. z and p have
 * room for one more entry than given (the origin padding); tmp and key are
 * scratch for _cplxreal. sos: (n_sections, 6). */
static eegnn_status eegnn__zpk2sos(eegnn__roots *z, eegnn__roots *p, double k, eegnn__cplx *tmp, double *key,
                                   double *sos, int *n_sections) {
    int ns, si, i;
    eegnn_status st;
    while (p->n < z->n) p->v[p->n++] = eegnn__c(0.0, 0.0);
    while (z->n < p->n) z->v[z->n++] = eegnn__c(0.0, 0.0);
    ns = (p->n + 1) / 2;
    if (p->n % 2 == 1) {
        p->v[p->n++] = eegnn__c(0.0, 0.0);
        z->v[z->n++] = eegnn__c(0.0, 0.0);
    }
    if ((st = eegnn__cplxreal(z, tmp, key)) != EEGNN_OK) return st;
    if ((st = eegnn__cplxreal(p, tmp, key)) != EEGNN_OK) return st;
    for (i = 0; i < 6 * ns; i++) sos[i] = 0.0;
    for (si = ns - 1; si >= 0; si--) {
        eegnn__cplx p1, p2, z1, z2, zz[2], pp[2];
        int p1_idx = eegnn__idx_worst(p, 0), z1_idx;
        double *row = sos + 6 * si;
        p1 = p->v[p1_idx];
        eegnn__roots_delete(p, p1_idx);
        if (eegnn__isreal(p1) && eegnn__count_real(p) == 0) {
            /* last remaining real pole: first-order section */
            z1_idx = eegnn__nearest_idx(z, p1, 1);
            if (z1_idx < 0) return eegnn_set_error(EEGNN_ERR_NUMERIC, "zpk2sos: no real zero to pair");
            zz[0] = z->v[z1_idx];
            zz[1] = eegnn__c(0.0, 0.0);
            pp[0] = p1;
            pp[1] = eegnn__c(0.0, 0.0);
            eegnn__roots_delete(z, z1_idx);
            eegnn__single_zpksos(zz, 2, pp, 2, row);
        } else if (p->n + 1 == z->n && !eegnn__isreal(p1) && eegnn__count_real(p) == 1 &&
                   eegnn__count_real(z) == 1) {
            /* one real pole and one real zero left: pair with a complex zero */
            z1_idx = eegnn__nearest_idx(z, p1, 2);
            if (z1_idx < 0) return eegnn_set_error(EEGNN_ERR_NUMERIC, "zpk2sos: no complex zero to pair");
            z1 = z->v[z1_idx];
            eegnn__roots_delete(z, z1_idx);
            zz[0] = z1;
            zz[1] = eegnn__conj(z1);
            pp[0] = p1;
            pp[1] = eegnn__conj(p1);
            eegnn__single_zpksos(zz, 2, pp, 2, row);
        } else {
            if (eegnn__isreal(p1)) {
                int p2_idx = eegnn__idx_worst(p, 1);
                p2 = p->v[p2_idx];
                eegnn__roots_delete(p, p2_idx);
            } else {
                p2 = eegnn__conj(p1);
            }
            pp[0] = p1;
            pp[1] = p2;
            if (z->n > 0) {
                z1_idx = eegnn__nearest_idx(z, p1, 0);
                z1 = z->v[z1_idx];
                eegnn__roots_delete(z, z1_idx);
                if (!eegnn__isreal(z1)) {
                    zz[0] = z1;
                    zz[1] = eegnn__conj(z1);
                    eegnn__single_zpksos(zz, 2, pp, 2, row);
                } else if (z->n > 0) {
                    int z2_idx = eegnn__nearest_idx(z, p1, 1);
                    if (z2_idx < 0) return eegnn_set_error(EEGNN_ERR_NUMERIC, "zpk2sos: no real zero to pair");
                    z2 = z->v[z2_idx];
                    eegnn__roots_delete(z, z2_idx);
                    zz[0] = z1;
                    zz[1] = z2;
                    eegnn__single_zpksos(zz, 2, pp, 2, row);
                } else {
                    zz[0] = z1;
                    eegnn__single_zpksos(zz, 1, pp, 2, row);
                }
            } else {
                eegnn__single_zpksos(zz, 0, pp, 2, row);
            }
        }
    }
    for (i = 0; i < 3; i++) sos[i] *= k;
    *n_sections = ns;
    return EEGNN_OK;
}

static const char *eegnn__btype_name(eegnn_btype btype) {
    switch (btype) {
    case EEGNN_LOWPASS: return "lowpass";
    case EEGNN_HIGHPASS: return "highpass";
    case EEGNN_BANDPASS: return "bandpass";
    case EEGNN_BANDSTOP: return "bandstop";
    }
    return "?";
}

EEGNN_API eegnn_status eegnn_butter_sos(int order, const double *freqs, eegnn_btype btype, double sfreq, double *sos,
                                        int *n_sections) {
    /* Roots: at most 2 * order poles and zeros, plus one origin padding. */
    eegnn__cplx zb[2 * EEGNN_BUTTER_MAX_ORDER + 2], pb[2 * EEGNN_BUTTER_MAX_ORDER + 2];
    eegnn__cplx tmp[3 * (2 * EEGNN_BUTTER_MAX_ORDER + 2)], proto[EEGNN_BUTTER_MAX_ORDER];
    double key[2 * EEGNN_BUTTER_MAX_ORDER + 2];
    eegnn__roots z, p;
    double wn[2], warped[2], k = 1.0, nyq;
    int nf, i, band, degree;
    const double pi = 3.14159265358979323846;
    if (!freqs || !sos || !n_sections) return eegnn_set_error(EEGNN_ERR_ARG, "butter: NULL argument");
    if ((int)btype < 0 || (int)btype > 3) return eegnn_set_error(EEGNN_ERR_ARG, "butter: unknown btype %d", (int)btype);
    if (order < 1 || order > EEGNN_BUTTER_MAX_ORDER)
        return eegnn_set_error(EEGNN_ERR_ARG, "butter: order must be in 1..%d, got %d", EEGNN_BUTTER_MAX_ORDER,
                               order);
    if (!(sfreq > 0.0) || !isfinite(sfreq))
        return eegnn_set_error(EEGNN_ERR_ARG, "butter: sfreq must be a positive number, got %g", sfreq);
    band = btype == EEGNN_BANDPASS || btype == EEGNN_BANDSTOP;
    nf = band ? 2 : 1;
    nyq = sfreq / 2.0;
    for (i = 0; i < nf; i++) {
        if (!(freqs[i] > 0.0) || !(freqs[i] < nyq))
            return eegnn_set_error(EEGNN_ERR_ARG,
                                   "butter %s: critical frequencies must be 0 < f < sfreq / 2 (sfreq=%g -> "
                                   "sfreq/2=%g), got %g Hz",
                                   eegnn__btype_name(btype), sfreq, nyq, freqs[i]);
        wn[i] = 2.0 * freqs[i] / sfreq;
        if (!(wn[i] > 0.0 && wn[i] < 1.0))
            return eegnn_set_error(EEGNN_ERR_ARG, "butter %s: cutoff %g Hz is not below Nyquist (%g Hz)",
                                   eegnn__btype_name(btype), freqs[i], nyq);
        warped[i] = 2.0 * 2.0 * tan(pi * wn[i] / 2.0);
    }
    if (band && !(freqs[0] < freqs[1]))
        return eegnn_set_error(EEGNN_ERR_ARG, "butter %s: low edge (%g Hz) must be below high edge (%g Hz)",
                               eegnn__btype_name(btype), freqs[0], freqs[1]);
    /* buttap: p = -exp(1j * pi * m / (2 * N)), m = -N+1, -N+3, ..., N-1 */
    for (i = 0; i < order; i++) {
        double th = pi * (double)(-order + 1 + 2 * i) / (2.0 * order);
        proto[i] = eegnn__c(-cos(th), -sin(th));
    }
    z.v = zb;
    p.v = pb;
    z.n = 0;
    p.n = 0;
    if (btype == EEGNN_LOWPASS) {
        double wo = warped[0];
        for (i = 0; i < order; i++) p.v[p.n++] = eegnn__cscale(proto[i], wo);
        k = pow(wo, (double)order);
    } else if (btype == EEGNN_HIGHPASS) {
        double wo = warped[0];
        eegnn__cplx prod = eegnn__c(1.0, 0.0);
        for (i = 0; i < order; i++) p.v[p.n++] = eegnn__cdiv(eegnn__c(wo, 0.0), proto[i]);
        for (i = 0; i < order; i++) z.v[z.n++] = eegnn__c(0.0, 0.0);
        for (i = 0; i < order; i++) prod = eegnn__cmul(prod, eegnn__c(-proto[i].re, -proto[i].im));
        k = eegnn__cdiv(eegnn__c(1.0, 0.0), prod).re;
    } else {
        double bw = warped[1] - warped[0], wo = sqrt(warped[0] * warped[1]);
        eegnn__cplx wo2 = eegnn__c(wo * wo, 0.0), s[EEGNN_BUTTER_MAX_ORDER], base[EEGNN_BUTTER_MAX_ORDER];
        for (i = 0; i < order; i++) {
            if (btype == EEGNN_BANDPASS)
                base[i] = eegnn__cscale(eegnn__cscale(proto[i], bw), 0.5);
            else
                base[i] = eegnn__cdiv(eegnn__c(bw / 2.0, 0.0), proto[i]);
            s[i] = eegnn__csqrt(eegnn__csub(eegnn__cmul(base[i], base[i]), wo2));
        }
        for (i = 0; i < order; i++) p.v[p.n++] = eegnn__cadd(base[i], s[i]);
        for (i = 0; i < order; i++) p.v[p.n++] = eegnn__csub(base[i], s[i]);
        if (btype == EEGNN_BANDPASS) {
            for (i = 0; i < order; i++) z.v[z.n++] = eegnn__c(0.0, 0.0);
            k = pow(bw, (double)order);
        } else {
            eegnn__cplx prod = eegnn__c(1.0, 0.0);
            for (i = 0; i < order; i++) z.v[z.n++] = eegnn__c(0.0, wo);
            for (i = 0; i < order; i++) z.v[z.n++] = eegnn__c(0.0, -wo);
            for (i = 0; i < order; i++) prod = eegnn__cmul(prod, eegnn__c(-proto[i].re, -proto[i].im));
            k = eegnn__cdiv(eegnn__c(1.0, 0.0), prod).re;
        }
    }
    /* bilinear_zpk with fs = 2 (fs2 = 4) */
    {
        eegnn__cplx fs2 = eegnn__c(4.0, 0.0), num = eegnn__c(1.0, 0.0), den = eegnn__c(1.0, 0.0);
        degree = p.n - z.n;
        for (i = 0; i < z.n; i++) {
            num = eegnn__cmul(num, eegnn__csub(fs2, z.v[i]));
            z.v[i] = eegnn__cdiv(eegnn__cadd(fs2, z.v[i]), eegnn__csub(fs2, z.v[i]));
        }
        for (i = 0; i < p.n; i++) {
            den = eegnn__cmul(den, eegnn__csub(fs2, p.v[i]));
            p.v[i] = eegnn__cdiv(eegnn__cadd(fs2, p.v[i]), eegnn__csub(fs2, p.v[i]));
        }
        for (i = 0; i < degree; i++) z.v[z.n++] = eegnn__c(-1.0, 0.0);
        k = k * eegnn__cdiv(num, den).re;
    }
    return eegnn__zpk2sos(&z, &p, k, tmp, key, sos, n_sections);
}

EEGNN_API int64_t eegnn_sosfiltfilt_padlen(const double *sos, int n_sections) {
    int s, zb = 0, za = 0;
    for (s = 0; s < n_sections; s++) {
        zb += sos[6 * s + 2] == 0.0;
        za += sos[6 * s + 5] == 0.0;
    }
    return 3 * (int64_t)(2 * n_sections + 1 - EEGNN__MIN(zb, za));
}

/* ---- sosfiltfilt ---------------------------------------------------------- */

/* Channels filtered together: four independent recurrences interleaved
 * sample by sample, so the processor overlaps their latency chains. */
#define EEGNN__SOS_LANES 4
/* Samples per block: a block goes through every section while in L1 cache. */
#define EEGNN__SOS_BLOCK 256

/* One DF-II transposed biquad step (scipy's _sosfilt) on lane variables. */
#define EEGNN__BIQUAD_STEP(xv, yv, z0, z1)           \
    do {                                             \
        double x_ = (xv), y_ = c0 * x_ + (z0);       \
        (z0) = c1 * x_ - a1 * y_ + (z1);             \
        (z1) = c2 * x_ - a2 * y_;                    \
        (yv) = y_;                                   \
    } while (0)

/* Runs the interleaved signals x[(n, EEGNN__SOS_LANES)] through the
 * sections in place, forward (dir 1) or backward (dir -1, from sample
 * n - 1). state: (n_sections, 2, EEGNN__SOS_LANES) DF-II transposed states,
 * updated. Every lane gets exactly the arithmetic of scipy's sosfilt. */
static void eegnn__sosfilt_lanes(const double *sos, int n_sections, double *state, double *x, int64_t n, int dir) {
    int64_t b0;
    for (b0 = 0; b0 < n; b0 += EEGNN__SOS_BLOCK) {
        int64_t len = EEGNN__MIN((int64_t)EEGNN__SOS_BLOCK, n - b0);
        double *blk = dir > 0 ? x + EEGNN__SOS_LANES * b0 : x + EEGNN__SOS_LANES * (n - b0 - len);
        int s;
        for (s = 0; s < n_sections; s++) {
            const double c0 = sos[6 * s], c1 = sos[6 * s + 1], c2 = sos[6 * s + 2];
            const double a1 = sos[6 * s + 4], a2 = sos[6 * s + 5];
            double *st = state + 2 * EEGNN__SOS_LANES * s;
            double p0 = st[0], p1 = st[1], p2 = st[2], p3 = st[3];
            double q0 = st[4], q1 = st[5], q2 = st[6], q3 = st[7];
            int64_t i, step = dir > 0 ? 1 : -1, start = dir > 0 ? 0 : len - 1;
            double *v = blk + EEGNN__SOS_LANES * start;
            for (i = 0; i < len; i++, v += step * EEGNN__SOS_LANES) {
                EEGNN__BIQUAD_STEP(v[0], v[0], p0, q0);
                EEGNN__BIQUAD_STEP(v[1], v[1], p1, q1);
                EEGNN__BIQUAD_STEP(v[2], v[2], p2, q2);
                EEGNN__BIQUAD_STEP(v[3], v[3], p3, q3);
            }
            st[0] = p0;
            st[1] = p1;
            st[2] = p2;
            st[3] = p3;
            st[4] = q0;
            st[5] = q1;
            st[6] = q2;
            st[7] = q3;
        }
    }
}

/* sosfilt_zi: steady-state initial conditions for a unit step, (n, 2). For
 * one section, lfilter_zi solves zi = A zi + B in closed form:
 * zi0 = (B0 + B1) / (1 + a1 + a2), zi1 = B1 - a2 zi0, B = b[1:] - a[1:] b0. */
static void eegnn__sosfilt_zi(const double *sos, int n_sections, double *zi) {
    double scale = 1.0;
    int s;
    for (s = 0; s < n_sections; s++) {
        const double *c = sos + 6 * s;
        double B0 = c[1] - c[4] * c[0], B1 = c[2] - c[5] * c[0];
        double z0 = (B0 + B1) / (1.0 + c[4] + c[5]);
        zi[2 * s] = scale * z0;
        zi[2 * s + 1] = scale * (B1 - c[5] * z0);
        scale *= (c[0] + c[1] + c[2]) / (c[3] + c[4] + c[5]);
    }
}

typedef struct eegnn__filtfilt_ctx {
    const double *sos;
    const double *zi;   /* (n_sections, 2) */
    int n_sections;
    float *data;        /* (n_channels, n_times) */
    const int *channels; /* channels to filter (n_work) */
    int n_work;
    int64_t n_times, edge;
    double *scratch;    /* (n_tasks, LANES * (n_times + 2 * edge + 2 * n_sections)) */
} eegnn__filtfilt_ctx;

static void eegnn__filtfilt_task(void *vctx, int task, int n_tasks) {
    enum { L = EEGNN__SOS_LANES };
    eegnn__filtfilt_ctx *c = (eegnn__filtfilt_ctx *)vctx;
    int64_t n = c->n_times, e = c->edge, len = n + 2 * e, i;
    double *ext = c->scratch + (size_t)task * (size_t)(L * (len + 2 * c->n_sections));
    double *state = ext + L * len;
    int n_groups = (c->n_work + L - 1) / L, grp, k, s;
    for (grp = task; grp < n_groups; grp += n_tasks) {
        int n_lanes = EEGNN__MIN(L, c->n_work - grp * L);
        for (k = 0; k < L; k++) {
            double *v = ext + k, x0, xn;
            const float *x;
            if (k >= n_lanes) { /* unused lane: zeros */
                for (i = 0; i < len; i++) v[L * i] = 0.0;
                continue;
            }
            x = c->data + (size_t)c->channels[grp * L + k] * (size_t)n;
            x0 = x[0];
            xn = x[n - 1];
            /* odd extension (scipy.signal._arraytools.odd_ext) */
            for (i = 0; i < e; i++) v[L * i] = 2.0 * x0 - (double)x[e - i];
            for (i = 0; i < n; i++) v[L * (e + i)] = (double)x[i];
            for (i = 0; i < e; i++) v[L * (e + n + i)] = 2.0 * xn - (double)x[n - 2 - i];
        }
        /* forward pass from zi * (first extended sample) */
        for (s = 0; s < c->n_sections; s++)
            for (k = 0; k < L; k++) {
                state[2 * L * s + k] = c->zi[2 * s] * ext[k];
                state[2 * L * s + L + k] = c->zi[2 * s + 1] * ext[k];
            }
        eegnn__sosfilt_lanes(c->sos, c->n_sections, state, ext, len, 1);
        /* backward pass from zi * (last forward output) */
        for (s = 0; s < c->n_sections; s++)
            for (k = 0; k < L; k++) {
                state[2 * L * s + k] = c->zi[2 * s] * ext[L * (len - 1) + k];
                state[2 * L * s + L + k] = c->zi[2 * s + 1] * ext[L * (len - 1) + k];
            }
        eegnn__sosfilt_lanes(c->sos, c->n_sections, state, ext, len, -1);
        for (k = 0; k < n_lanes; k++) {
            float *x = c->data + (size_t)c->channels[grp * L + k] * (size_t)n;
            for (i = 0; i < n; i++) x[i] = (float)ext[L * (e + i) + k];
        }
    }
}

/* sosfiltfilt over the listed channels (all when channels is NULL). */
static eegnn_status eegnn__sosfiltfilt_channels(const double *sos, int n_sections, float *data, int n_channels,
                                                const int *channels, int n_work, int64_t n_times,
                                                eegnn_threadpool *pool) {
    eegnn__filtfilt_ctx ctx;
    int *all = NULL, s, n_tasks;
    double *zi;
    int64_t edge;
    size_t per_task;
    if (!sos || n_sections < 1) return eegnn_set_error(EEGNN_ERR_ARG, "sosfiltfilt: no sections");
    if (!data && n_channels > 0) return eegnn_set_error(EEGNN_ERR_ARG, "sosfiltfilt: data is NULL");
    if (n_channels < 0 || n_times < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "sosfiltfilt: negative shape (%d, %lld)", n_channels,
                               (long long)n_times);
    for (s = 0; s < n_sections; s++) {
        int j;
        if (sos[6 * s + 3] != 1.0)
            return eegnn_set_error(EEGNN_ERR_ARG, "sosfiltfilt: section %d has a0 = %g; a0 must be 1", s,
                                   sos[6 * s + 3]);
        for (j = 0; j < 6; j++)
            if (!isfinite(sos[6 * s + j]))
                return eegnn_set_error(EEGNN_ERR_ARG, "sosfiltfilt: section %d has a non-finite coefficient", s);
    }
    edge = eegnn_sosfiltfilt_padlen(sos, n_sections);
    if (n_times <= edge)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "sosfiltfilt: the signal (%lld samples) must be longer than padlen, which is %lld",
                               (long long)n_times, (long long)edge);
    if (!channels) {
        all = (int *)eegnn__calloc((size_t)(n_channels > 0 ? n_channels : 1), sizeof(int));
        if (!all) return EEGNN_ERR_MEMORY;
        for (s = 0; s < n_channels; s++) all[s] = s;
        channels = all;
        n_work = n_channels;
    }
    if (n_work == 0) {
        EEGNN_FREE(all);
        return EEGNN_OK;
    }
    n_tasks = EEGNN__MIN(eegnn_threadpool_size(pool), (n_work + EEGNN__SOS_LANES - 1) / EEGNN__SOS_LANES);
    per_task = (size_t)EEGNN__SOS_LANES * (size_t)(n_times + 2 * edge + 2 * n_sections);
    zi = (double *)eegnn__calloc((size_t)(2 * n_sections) + per_task * (size_t)n_tasks, sizeof(double));
    if (!zi) {
        EEGNN_FREE(all);
        return EEGNN_ERR_MEMORY;
    }
    eegnn__sosfilt_zi(sos, n_sections, zi);
    ctx.sos = sos;
    ctx.zi = zi;
    ctx.n_sections = n_sections;
    ctx.data = data;
    ctx.channels = channels;
    ctx.n_work = n_work;
    ctx.n_times = n_times;
    ctx.edge = edge;
    ctx.scratch = zi + 2 * n_sections;
    eegnn_parallel_for(n_tasks > 1 ? pool : NULL, n_tasks, eegnn__filtfilt_task, &ctx);
    EEGNN_FREE(zi);
    EEGNN_FREE(all);
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_sosfiltfilt(const double *sos, int n_sections, float *data, int n_channels,
                                         int64_t n_times, eegnn_threadpool *pool) {
    return eegnn__sosfiltfilt_channels(sos, n_sections, data, n_channels, NULL, 0, n_times, pool);
}

static eegnn_status eegnn__filter_design_apply(float *data, int n_channels, const int *channels, int n_work,
                                               int64_t n_times, double sfreq, const double *freqs,
                                               eegnn_btype btype, int order, eegnn_threadpool *pool) {
    double sos[6 * EEGNN_BUTTER_MAX_ORDER];
    int ns = 0;
    eegnn_status st = eegnn_butter_sos(order, freqs, btype, sfreq, sos, &ns);
    if (st != EEGNN_OK) return st;
    return eegnn__sosfiltfilt_channels(sos, ns, data, n_channels, channels, n_work, n_times, pool);
}

EEGNN_API eegnn_status eegnn_filter_bandpass(float *data, int n_channels, int64_t n_times, double sfreq,
                                             double l_freq, double h_freq, int order, eegnn_threadpool *pool) {
    double f[2];
    f[0] = l_freq;
    f[1] = h_freq;
    return eegnn__filter_design_apply(data, n_channels, NULL, 0, n_times, sfreq, f, EEGNN_BANDPASS, order, pool);
}

EEGNN_API eegnn_status eegnn_filter_highpass(float *data, int n_channels, int64_t n_times, double sfreq,
                                             double l_freq, int order, eegnn_threadpool *pool) {
    return eegnn__filter_design_apply(data, n_channels, NULL, 0, n_times, sfreq, &l_freq, EEGNN_HIGHPASS, order,
                                      pool);
}

EEGNN_API eegnn_status eegnn_filter_lowpass(float *data, int n_channels, int64_t n_times, double sfreq,
                                            double h_freq, int order, eegnn_threadpool *pool) {
    return eegnn__filter_design_apply(data, n_channels, NULL, 0, n_times, sfreq, &h_freq, EEGNN_LOWPASS, order,
                                      pool);
}

static eegnn_status eegnn__notch(float *data, int n_channels, const int *channels, int n_work, int64_t n_times,
                                 double sfreq, double freq, double half_width, int order, eegnn_threadpool *pool) {
    double *sos;
    int n_harm = 0, ns_total = 0, h;
    eegnn_status st;
    if (!(sfreq > 0.0) || !isfinite(sfreq))
        return eegnn_set_error(EEGNN_ERR_ARG, "notch: sfreq must be a positive number, got %g", sfreq);
    if (!(half_width > 0.0) || !isfinite(half_width))
        return eegnn_set_error(EEGNN_ERR_ARG, "notch: half_width must be > 0 Hz, got %g", half_width);
    if (!(freq - half_width > 0.0) || !isfinite(freq))
        return eegnn_set_error(EEGNN_ERR_ARG, "notch: freq - half_width must be > 0 Hz, got %g - %g", freq,
                               half_width);
    if (order < 1 || order > EEGNN_BUTTER_MAX_ORDER)
        return eegnn_set_error(EEGNN_ERR_ARG, "notch: order must be in 1..%d, got %d", EEGNN_BUTTER_MAX_ORDER, order);
    while ((double)(n_harm + 1) * freq + half_width < sfreq / 2.0) n_harm++;
    if (n_harm == 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "notch: band %g +- %g Hz does not lie below Nyquist (%g Hz)", freq,
                               half_width, sfreq / 2.0);
    sos = (double *)eegnn__calloc((size_t)n_harm * 6 * (size_t)order, sizeof(double));
    if (!sos) return EEGNN_ERR_MEMORY;
    for (h = 1; h <= n_harm; h++) {
        double f[2];
        int ns = 0;
        f[0] = h * freq - half_width;
        f[1] = h * freq + half_width;
        st = eegnn_butter_sos(order, f, EEGNN_BANDSTOP, sfreq, sos + 6 * ns_total, &ns);
        if (st != EEGNN_OK) {
            EEGNN_FREE(sos);
            return st;
        }
        ns_total += ns;
    }
    st = eegnn__sosfiltfilt_channels(sos, ns_total, data, n_channels, channels, n_work, n_times, pool);
    EEGNN_FREE(sos);
    return st;
}

EEGNN_API eegnn_status eegnn_filter_notch(float *data, int n_channels, int64_t n_times, double sfreq, double freq,
                                          double half_width, int order, eegnn_threadpool *pool) {
    return eegnn__notch(data, n_channels, NULL, 0, n_times, sfreq, freq, half_width, order, pool);
}

/* Indices of the channels that are not of type "stim" (*idx, to free). */
static eegnn_status eegnn__raw_filter_channels(const eegnn_raw *raw, int **idx, int *n_work, const char *what) {
    int c;
    *idx = NULL;
    if (!raw || !raw->data || raw->n_channels < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: the recording has no data", what);
    *idx = (int *)eegnn__calloc((size_t)(raw->n_channels > 0 ? raw->n_channels : 1), sizeof(int));
    if (!*idx) return EEGNN_ERR_MEMORY;
    *n_work = 0;
    for (c = 0; c < raw->n_channels; c++)
        if (!(raw->ch_types && raw->ch_types[c] && strcmp(raw->ch_types[c], "stim") == 0)) (*idx)[(*n_work)++] = c;
    return EEGNN_OK;
}

static eegnn_status eegnn__raw_filter(eegnn_raw *raw, const double *freqs, eegnn_btype btype, int order,
                                      eegnn_threadpool *pool) {
    int n_work = 0, *idx;
    eegnn_status st = eegnn__raw_filter_channels(raw, &idx, &n_work, "eegnn_raw_filter");
    if (st != EEGNN_OK) return st;
    st = eegnn__filter_design_apply(raw->data, raw->n_channels, idx, n_work, raw->n_times, raw->sfreq, freqs, btype,
                                    order, pool);
    EEGNN_FREE(idx);
    return st;
}

EEGNN_API eegnn_status eegnn_raw_filter_bandpass(eegnn_raw *raw, double l_freq, double h_freq, int order,
                                                 eegnn_threadpool *pool) {
    double f[2];
    f[0] = l_freq;
    f[1] = h_freq;
    return eegnn__raw_filter(raw, f, EEGNN_BANDPASS, order, pool);
}

EEGNN_API eegnn_status eegnn_raw_filter_highpass(eegnn_raw *raw, double l_freq, int order, eegnn_threadpool *pool) {
    return eegnn__raw_filter(raw, &l_freq, EEGNN_HIGHPASS, order, pool);
}

EEGNN_API eegnn_status eegnn_raw_filter_lowpass(eegnn_raw *raw, double h_freq, int order, eegnn_threadpool *pool) {
    return eegnn__raw_filter(raw, &h_freq, EEGNN_LOWPASS, order, pool);
}

EEGNN_API eegnn_status eegnn_raw_filter_notch(eegnn_raw *raw, double freq, double half_width, int order,
                                              eegnn_threadpool *pool) {
    int n_work = 0, *idx;
    eegnn_status st = eegnn__raw_filter_channels(raw, &idx, &n_work, "eegnn_raw_filter_notch");
    if (st != EEGNN_OK) return st;
    st = eegnn__notch(raw->data, raw->n_channels, idx, n_work, raw->n_times, raw->sfreq, freq, half_width, order,
                      pool);
    EEGNN_FREE(idx);
    return st;
}

/* ---- resample_poly ------------------------------------------------------- */

static int64_t eegnn__gcd(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Modified Bessel function of the first kind, order 0 (power series; all
 * terms positive, so it is accurate to rounding for the arguments used
 * here, |x| <= 5 for the Kaiser window of resample_poly). */
static double eegnn__bessel_i0(double x) {
    double q = x * x / 4.0, term = 1.0, sum = 1.0;
    int k;
    for (k = 1; k < 500; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

/* scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta)) for a
 * low-pass with cutoff relative to Nyquist, numtaps odd: windowed sinc,
 * scaled to unit gain at 0 Hz. */
static void eegnn__firwin_kaiser(double *h, int64_t numtaps, double cutoff, double beta) {
    const double pi = 3.14159265358979323846;
    double alpha = 0.5 * (double)(numtaps - 1), i0b = eegnn__bessel_i0(beta), sum = 0.0;
    int64_t i;
    for (i = 0; i < numtaps; i++) {
        double m = (double)i - alpha, x = cutoff * m, sinc, r, w;
        sinc = x == 0.0 ? 1.0 : sin(pi * x) / (pi * x);
        r = (double)i - alpha;
        r /= alpha;
        w = eegnn__bessel_i0(beta * sqrt(1.0 - r * r)) / i0b;
        h[i] = cutoff * sinc * w;
        sum += h[i];
    }
    for (i = 0; i < numtaps; i++) h[i] /= sum;
}

EEGNN_API int64_t eegnn_resample_poly_length(int64_t n_times, int up, int down) {
    int64_t g, u, d, n;
    if (up < 1 || down < 1 || n_times < 0) return -1;
    g = eegnn__gcd(up, down);
    u = up / g;
    d = down / g;
    if (n_times > INT64_MAX / u) return -1;
    n = n_times * u;
    return n / d + (n % d != 0);
}

typedef struct eegnn__resample_ctx {
    const float *x;        /* (n_channels, n_in) */
    float *y;              /* (n_channels, n_out) */
    int n_channels;
    int64_t n_in, n_out;
    int64_t up, down, n_pre_remove;
    const double *coef;    /* per phase, the taps in reverse order */
    const int64_t *offset; /* (up) start of each phase in coef */
    const int64_t *count;  /* (up) taps of each phase */
    const int64_t *m_last; /* (up) delay of the phase's first reversed tap */
} eegnn__resample_ctx;

/* upfirdn as resample_poly uses it: y[i] = sum_j hpad[j] * xu[n - j] with
 * n = (i + n_pre_remove) * down, hpad = the filter after n_pre_pad zeros,
 * xu = x upsampled by zero insertion. Only taps j = n % up + m * up meet a
 * sample, x[n / up - m]; phase r = n % up keeps those taps reversed, so the
 * sum runs forward over x[n / up - m_last[r] + t]. */
static void eegnn__resample_task(void *vctx, int task, int n_tasks) {
    eegnn__resample_ctx *c = (eegnn__resample_ctx *)vctx;
    int ch;
    for (ch = task; ch < c->n_channels; ch += n_tasks) {
        const float *x = c->x + (size_t)ch * (size_t)c->n_in;
        float *y = c->y + (size_t)ch * (size_t)c->n_out;
        int64_t i;
        for (i = 0; i < c->n_out; i++) {
            int64_t n = (i + c->n_pre_remove) * c->down, r = n % c->up;
            int64_t base = n / c->up - c->m_last[r], cnt = c->count[r], t_lo, t_hi, t;
            const double *h = c->coef + c->offset[r];
            const float *xb = x + base;
            double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
            t_lo = base < 0 ? -base : 0;
            t_hi = EEGNN__MIN(cnt, c->n_in - base);
            for (t = t_lo; t + 4 <= t_hi; t += 4) {
                s0 += h[t] * (double)xb[t];
                s1 += h[t + 1] * (double)xb[t + 1];
                s2 += h[t + 2] * (double)xb[t + 2];
                s3 += h[t + 3] * (double)xb[t + 3];
            }
            for (; t < t_hi; t++) s0 += h[t] * (double)xb[t];
            y[i] = (float)((s0 + s1) + (s2 + s3));
        }
    }
}

EEGNN_API eegnn_status eegnn_resample_poly(const float *x, int n_channels, int64_t n_times, int up, int down,
                                           float *y, eegnn_threadpool *pool) {
    eegnn__resample_ctx ctx;
    int64_t g, u, d, max_rate, half_len, ntaps, i, r, pos, n_pre_pad;
    int64_t *offset, *count, *m_last;
    double *h, *coef;
    int n_tasks;
    if (up < 1 || down < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "resample_poly: up and down must be >= 1, got up=%d down=%d", up, down);
    if (n_channels < 0 || n_times < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "resample_poly: bad shape (%d, %lld); need n_times >= 1", n_channels,
                               (long long)n_times);
    if ((!x || !y) && n_channels > 0) return eegnn_set_error(EEGNN_ERR_ARG, "resample_poly: NULL array");
    g = eegnn__gcd(up, down);
    u = up / g;
    d = down / g;
    max_rate = EEGNN__MAX(u, d);
    if (max_rate > EEGNN_RESAMPLE_MAX_FACTOR)
        return eegnn_set_error(EEGNN_ERR_ARG, "resample_poly: up/down = %lld/%lld (reduced) exceeds %d",
                               (long long)u, (long long)d, EEGNN_RESAMPLE_MAX_FACTOR);
    if (eegnn_resample_poly_length(n_times, up, down) < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "resample_poly: output length overflows");
    if (u == 1 && d == 1) {
        if (n_channels > 0 && y != x) memcpy(y, x, (size_t)n_channels * (size_t)n_times * sizeof(float));
        return EEGNN_OK;
    }
    half_len = 10 * max_rate;
    ntaps = 2 * half_len + 1;
    /* h (ntaps), coef (ntaps), then offset, count, m_last (up each) */
    h = (double *)eegnn__calloc((size_t)(2 * ntaps + 3 * u), sizeof(double));
    if (!h) return EEGNN_ERR_MEMORY;
    coef = h + ntaps;
    offset = (int64_t *)(coef + ntaps);
    count = offset + u;
    m_last = count + u;
    eegnn__firwin_kaiser(h, ntaps, 1.0 / (double)max_rate, 5.0);
    for (i = 0; i < ntaps; i++) h[i] *= (double)u;
    n_pre_pad = d - half_len % d;
    for (r = 0, pos = 0; r < u; r++) {
        /* taps h[j0 + m * up] of phase r, m = m_first..m_last */
        int64_t j0 = r - n_pre_pad, m_first = j0 >= 0 ? 0 : (-j0 + u - 1) / u, m;
        int64_t m_hi = ntaps - 1 - j0 >= 0 ? (ntaps - 1 - j0) / u : m_first - 1;
        offset[r] = pos;
        count[r] = m_hi >= m_first ? m_hi - m_first + 1 : 0;
        m_last[r] = m_hi;
        for (m = m_hi; m >= m_first; m--) coef[pos++] = h[j0 + m * u];
    }
    ctx.x = x;
    ctx.y = y;
    ctx.n_channels = n_channels;
    ctx.n_in = n_times;
    ctx.n_out = eegnn_resample_poly_length(n_times, up, down);
    ctx.up = u;
    ctx.down = d;
    ctx.n_pre_remove = (half_len + n_pre_pad) / d;
    ctx.coef = coef;
    ctx.offset = offset;
    ctx.count = count;
    ctx.m_last = m_last;
    n_tasks = EEGNN__MIN(eegnn_threadpool_size(pool), n_channels);
    if (n_tasks >= 1) eegnn_parallel_for(n_tasks > 1 ? pool : NULL, n_tasks, eegnn__resample_task, &ctx);
    EEGNN_FREE(h);
    return EEGNN_OK;
}

/* Writes rate as an exact fraction num / 10^k (k <= 6); 0 when it is none. */
static int eegnn__rate_fraction(double rate, int64_t *num, int64_t *den) {
    int64_t p = 1;
    int k;
    for (k = 0; k <= 6; k++, p *= 10) {
        double v = rate * (double)p, r = floor(v + 0.5);
        if (r > 0 && r < 9e15 && fabs(v - r) <= 1e-9 * EEGNN__MAX(1.0, v)) {
            *num = (int64_t)r;
            *den = p;
            return 1;
        }
    }
    return 0;
}

EEGNN_API eegnn_status eegnn_raw_resample(eegnn_raw *raw, double sfreq, eegnn_threadpool *pool) {
    int64_t n1, d1, n2, d2, up, down, g, n_out, i;
    float *out;
    double *ch_sfreq;
    int c;
    eegnn_status st;
    if (!raw || !raw->data) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_raw_resample: the recording has no data");
    if (!(sfreq > 0.0) || !isfinite(sfreq))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_raw_resample: sfreq must be a positive number, got %g", sfreq);
    if (!eegnn__rate_fraction(raw->sfreq, &n1, &d1) || !eegnn__rate_fraction(sfreq, &n2, &d2))
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "eegnn_raw_resample: %g Hz -> %g Hz is not a ratio of rates with at most 6 decimals",
                               raw->sfreq, sfreq);
    /* sfreq / raw->sfreq = (n2 / d2) / (n1 / d1) = (n2 * d1) / (n1 * d2) */
    g = eegnn__gcd(n2, d2);
    n2 /= g;
    d2 /= g;
    g = eegnn__gcd(n1, d1);
    n1 /= g;
    d1 /= g;
    if (n2 > INT64_MAX / d1 || n1 > INT64_MAX / d2)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_raw_resample: %g Hz -> %g Hz: ratio too large", raw->sfreq, sfreq);
    up = n2 * d1;
    down = n1 * d2;
    g = eegnn__gcd(up, down);
    up /= g;
    down /= g;
    if (up > EEGNN_RESAMPLE_MAX_FACTOR || down > EEGNN_RESAMPLE_MAX_FACTOR)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "eegnn_raw_resample: %g Hz -> %g Hz needs up/down = %lld/%lld; factors above %d are "
                               "not supported",
                               raw->sfreq, sfreq, (long long)up, (long long)down, EEGNN_RESAMPLE_MAX_FACTOR);
    if (raw->n_times < 1) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_raw_resample: the recording has no samples");
    n_out = eegnn_resample_poly_length(raw->n_times, (int)up, (int)down);
    out = (float *)eegnn__calloc((size_t)(raw->n_channels > 0 ? raw->n_channels : 1) * (size_t)n_out, sizeof(float));
    if (!out) return EEGNN_ERR_MEMORY;
    ch_sfreq = (double *)eegnn__calloc((size_t)(raw->n_channels > 0 ? raw->n_channels : 1), sizeof(double));
    if (!ch_sfreq) {
        EEGNN_FREE(out);
        return EEGNN_ERR_MEMORY;
    }
    st = eegnn_resample_poly(raw->data, raw->n_channels, raw->n_times, (int)up, (int)down, out, pool);
    if (st != EEGNN_OK) {
        EEGNN_FREE(out);
        EEGNN_FREE(ch_sfreq);
        return st;
    }
    for (c = 0; c < raw->n_channels; c++) {
        ch_sfreq[c] = sfreq;
        if (raw->ch_types && raw->ch_types[c] && strcmp(raw->ch_types[c], "stim") == 0) {
            const float *x = raw->data + (size_t)c * (size_t)raw->n_times;
            float *y = out + (size_t)c * (size_t)n_out;
            for (i = 0; i < n_out; i++) {
                int64_t k = i * down / up;
                y[i] = x[k < raw->n_times ? k : raw->n_times - 1];
            }
        }
    }
    EEGNN_FREE(raw->data);
    EEGNN_FREE(raw->ch_sfreq);
    raw->data = out;
    raw->ch_sfreq = ch_sfreq;
    raw->n_times = n_out;
    raw->sfreq = sfreq;
    return EEGNN_OK;
}
