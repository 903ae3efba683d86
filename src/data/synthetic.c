/* Synthetic resting-state EEG written as a BIDS dataset (see synthetic.h). */

static const char *const eegnn__montage_1020[] = {"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz",
                                                  "C4",  "T8",  "P7", "P3", "Pz", "P4", "P8", "O1", "Oz", "O2"};

/* Per-channel weights of the generators, from the channel's name. */
static void eegnn__synthetic_topography(const char *name, float *alpha, float *blink, float *muscle) {
    *alpha = 0.25f;
    *blink = 0.02f;
    *muscle = 0.05f;
    if (name[0] == 'O') *alpha = 1.0f;
    if (name[0] == 'P') *alpha = 0.7f;
    if (name[0] == 'C') *alpha = 0.4f;
    if (!strncmp(name, "Fp", 2)) *blink = 1.0f;
    else if (name[0] == 'F') *blink = 0.45f;
    if (name[0] == 'T' || !strcmp(name, "F7") || !strcmp(name, "F8")) *muscle = 1.0f;
}

/* One subject's recording, (n_channels, n_times) in volts. */
/* Kellet's refined pink-noise filter: one step on white sample w. */
static double eegnn__pink_step(double *b, double w) {
    double pink;
    b[0] = 0.99886 * b[0] + w * 0.0555179;
    b[1] = 0.99332 * b[1] + w * 0.0750759;
    b[2] = 0.96900 * b[2] + w * 0.1538520;
    b[3] = 0.86650 * b[3] + w * 0.3104856;
    b[4] = 0.55000 * b[4] + w * 0.5329522;
    b[5] = -0.7616 * b[5] - w * 0.0168980;
    pink = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
    b[6] = w * 0.115926;
    return pink;
}

/* One subject's recording into data (n_channels, n_times), volts;
 * shared: (n_times) scratch. */
static void eegnn__synthetic_signal(float *data, float *shared, char **names, int n_ch, int64_t n_times,
                                    double sfreq, double line_freq, double alpha_freq, eegnn_rng *rng) {
    int c;
    int64_t t;
    const double two_pi = 6.283185307179586;
    double b[7] = {0, 0, 0, 0, 0, 0, 0};
    double phase = 0.0, env = 1.0;
    /* shared pink component (volume conduction) */
    for (t = 0; t < n_times; t++) shared[t] = (float)eegnn__pink_step(b, eegnn_rng_normal(rng));
    /* 1/f background: a local pink source per channel plus the shared one */
    for (c = 0; c < n_ch; c++) {
        double bb[7] = {0, 0, 0, 0, 0, 0, 0};
        float *row = data + (size_t)c * (size_t)n_times;
        for (t = 0; t < n_times; t++)
            row[t] = (float)(2.5e-6 * eegnn__pink_step(bb, eegnn_rng_normal(rng)) + 2.0e-6 * (double)shared[t]);
    }
    /* alpha rhythm: one generator, waxing and waning, projected with channel weights */
    for (t = 0; t < n_times; t++) {
        double a;
        env += 0.02 * (1.0 - env) + 0.05 * eegnn_rng_normal(rng) / sqrt(sfreq);
        if (env < 0.1) env = 0.1;
        phase += two_pi * (alpha_freq + 0.15 * eegnn_rng_normal(rng)) / sfreq;
        a = 12e-6 * env * sin(phase);
        for (c = 0; c < n_ch; c++) {
            float wa, wb, wm;
            eegnn__synthetic_topography(names[c], &wa, &wb, &wm);
            data[(size_t)c * (size_t)n_times + (size_t)t] +=
                (float)(wa * a + (line_freq > 0 ? 1.5e-6 * sin(two_pi * line_freq * (double)t / sfreq + 0.3 * c) : 0.0));
        }
    }
    /* eye blinks: 300 ms half-cosine, about every 4 s */
    {
        int64_t next = (int64_t)(sfreq * (1.0 + 4.0 * eegnn_rng_uniform(rng)));
        int64_t len = (int64_t)(0.3 * sfreq);
        while (next + len < n_times) {
            double amp = 80e-6 + 40e-6 * eegnn_rng_uniform(rng);
            for (t = 0; t < len; t++) {
                double v = amp * sin(3.141592653589793 * (double)t / (double)len);
                for (c = 0; c < n_ch; c++) {
                    float wa, wb, wm;
                    eegnn__synthetic_topography(names[c], &wa, &wb, &wm);
                    data[(size_t)c * (size_t)n_times + (size_t)(next + t)] += (float)(wb * v);
                }
            }
            next += (int64_t)(sfreq * (2.0 + 4.0 * eegnn_rng_uniform(rng)));
        }
    }
    /* muscle bursts: 1 s of broadband activity on temporal channels, about every 15 s */
    {
        int64_t next = (int64_t)(sfreq * (3.0 + 15.0 * eegnn_rng_uniform(rng)));
        int64_t len = (int64_t)sfreq;
        while (next + len < n_times) {
            for (t = 0; t < len; t++) {
                double win = sin(3.141592653589793 * (double)t / (double)len);
                for (c = 0; c < n_ch; c++) {
                    float wa, wb, wm;
                    eegnn__synthetic_topography(names[c], &wa, &wb, &wm);
                    data[(size_t)c * (size_t)n_times + (size_t)(next + t)] +=
                        (float)(wm * 10e-6 * win * eegnn_rng_normal(rng));
                }
            }
            next += (int64_t)(sfreq * (8.0 + 15.0 * eegnn_rng_uniform(rng)));
        }
    }
}

EEGNN_API eegnn_synthetic_config eegnn_synthetic_config_default(void) {
    eegnn_synthetic_config c;
    memset(&c, 0, sizeof c);
    c.line_freq = EEGNN_UNSET;
    return c;
}

EEGNN_API eegnn_synthetic_hbn_config eegnn_synthetic_hbn_config_default(void) {
    eegnn_synthetic_hbn_config c;
    memset(&c, 0, sizeof c);
    c.ccd_runs = EEGNN_UNSET;
    c.rest_seconds = EEGNN_UNSET;
    c.miss_rate = EEGNN_UNSET;
    return c;
}

EEGNN_API eegnn_status eegnn_write_synthetic_bids(const char *dir, const eegnn_synthetic_config *cfg) {
    eegnn_synthetic_config c;
    eegnn__strbuf participants = {0, 0, 0, 0}, channels = {0, 0, 0, 0};
    eegnn_raw raw;
    char **names = NULL, **units = NULL, **types = NULL;
    double *ch_sfreq = NULL;
    float *data = NULL, *shared = NULL;
    char path[4096], text[2048], line[32];
    eegnn_rng rng;
    eegnn_status st = EEGNN_OK;
    int s, ch;
    int64_t n_times;

    c = cfg ? *cfg : eegnn_synthetic_config_default();
    if (!c.n_subjects) c.n_subjects = 40;
    if (!c.n_channels) c.n_channels = 20;
    if (c.sfreq == 0) c.sfreq = 128;
    if (c.duration == 0) c.duration = 60;
    if (c.line_freq == EEGNN_UNSET) c.line_freq = 50.0 < c.sfreq / 2 ? 50.0 : 0.0; /* none at or above Nyquist */
    if (!dir || !*dir) return eegnn_set_error(EEGNN_ERR_ARG, "synthetic BIDS: no output directory given");
    if (c.n_subjects < 1 || c.n_subjects > 9999 || c.n_channels < 1 || c.n_channels > 256 || !(c.sfreq > 0) ||
        !(c.duration > 0) || c.duration * c.sfreq > 1e8 || !(c.line_freq >= 0) || c.line_freq >= c.sfreq / 2)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "synthetic BIDS: invalid config (subjects %d, channels %d, sfreq %g Hz, duration %g s, "
                               "line frequency %g Hz)",
                               c.n_subjects, c.n_channels, c.sfreq, c.duration, c.line_freq);
    n_times = (int64_t)(c.duration * c.sfreq);
    eegnn_rng_seed(&rng, c.seed ^ 0x5EEDEEull);

    names = (char **)eegnn__calloc((size_t)c.n_channels, sizeof(char *));
    units = (char **)eegnn__calloc((size_t)c.n_channels, sizeof(char *));
    types = (char **)eegnn__calloc((size_t)c.n_channels, sizeof(char *));
    ch_sfreq = (double *)eegnn__calloc((size_t)c.n_channels, sizeof(double));
    data = (float *)eegnn__calloc((size_t)c.n_channels * (size_t)n_times, sizeof(float));
    shared = (float *)eegnn__calloc((size_t)n_times, sizeof(float));
    if (!names || !units || !types || !ch_sfreq || !data || !shared) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    eegnn__sb_printf(&channels, "name\ttype\tunits\tsampling_frequency\tlow_cutoff\thigh_cutoff\n");
    for (ch = 0; ch < c.n_channels; ch++) {
        char buf[16];
        if (ch < 20)
            names[ch] = eegnn__strdup(eegnn__montage_1020[ch]);
        else {
            snprintf(buf, sizeof buf, "E%d", ch + 1);
            names[ch] = eegnn__strdup(buf);
        }
        units[ch] = eegnn__strdup("uV");
        types[ch] = eegnn__strdup("eeg");
        ch_sfreq[ch] = c.sfreq;
        if (!names[ch] || !units[ch] || !types[ch]) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        eegnn__sb_printf(&channels, "%s\tEEG\tuV\t%g\tn/a\tn/a\n", names[ch], c.sfreq);
    }

    st = eegnn__mkdirs(dir);
    if (st) goto done;
    snprintf(path, sizeof path, "%s/dataset_description.json", dir);
    st = eegnn__write_text(path, "{\n  \"Name\": \"eegnn synthetic resting-state EEG (alpha peak rises with age)\",\n"
                                 "  \"BIDSVersion\": \"1.8.0\",\n  \"DatasetType\": \"raw\",\n"
                                 "  \"GeneratedBy\": [{\"Name\": \"eegnn\", \"Version\": \"" EEGNN_VERSION_STRING
                                 "\"}]\n}\n");
    if (st) goto done;
    snprintf(path, sizeof path, "%s/participants.json", dir);
    st = eegnn__write_text(path, "{\n  \"age\": {\"Description\": \"age of the participant\", \"Units\": \"year\"},\n"
                                 "  \"sex\": {\"Description\": \"sex of the participant\", \"Levels\": "
                                 "{\"M\": \"male\", \"F\": \"female\"}}\n}\n");
    if (st) goto done;
    eegnn__sb_printf(&participants, "participant_id\tage\tsex\n");

    memset(&raw, 0, sizeof raw);
    raw.format = (char *)"BDF";
    raw.n_channels = c.n_channels;
    raw.ch_names = names;
    raw.ch_units = units;
    raw.ch_types = types;
    raw.ch_sfreq = ch_sfreq;
    raw.sfreq = c.sfreq;
    raw.n_times = n_times;
    raw.data = data;
    raw.meas_date = 1577836800.0; /* 2020-01-01 */

    for (s = 0; s < c.n_subjects; s++) {
        char sub[32];
        double age = 5.0 + 16.0 * eegnn_rng_uniform(&rng);
        const char *sex = eegnn_rng_uniform(&rng) < 0.5 ? "M" : "F";
        double alpha_freq = 6.0 + 0.3 * age + 0.3 * eegnn_rng_normal(&rng);
        snprintf(sub, sizeof sub, "sub-%03d", s + 1);
        eegnn__sb_printf(&participants, "%s\t%.1f\t%s\n", sub, age, sex);
        snprintf(path, sizeof path, "%s/%s/eeg", dir, sub);
        st = eegnn__mkdirs(path);
        if (st) goto done;
        eegnn__synthetic_signal(data, shared, names, c.n_channels, n_times, c.sfreq, c.line_freq, alpha_freq, &rng);
        snprintf(path, sizeof path, "%s/%s/eeg/%s_task-rest_eeg.bdf", dir, sub, sub);
        raw.path = path;
        st = eegnn_write_bdf(path, &raw);
        if (st) goto done;
        snprintf(path, sizeof path, "%s/%s/eeg/%s_task-rest_eeg.json", dir, sub, sub);
        if (c.line_freq > 0)
            snprintf(line, sizeof line, "%g", c.line_freq);
        else
            snprintf(line, sizeof line, "\"n/a\"");
        snprintf(text, sizeof text,
                 "{\n  \"TaskName\": \"rest\",\n  \"SamplingFrequency\": %g,\n  \"EEGReference\": \"Cz\",\n"
                 "  \"PowerLineFrequency\": %s,\n  \"SoftwareFilters\": \"n/a\",\n  \"EEGChannelCount\": %d,\n"
                 "  \"RecordingDuration\": %g\n}\n",
                 c.sfreq, line, c.n_channels, (double)n_times / c.sfreq);
        st = eegnn__write_text(path, text);
        if (st) goto done;
        snprintf(path, sizeof path, "%s/%s/eeg/%s_task-rest_channels.tsv", dir, sub, sub);
        st = eegnn__write_text(path, channels.p ? channels.p : "");
        if (st) goto done;
    }
    if (participants.failed || channels.failed) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "synthetic BIDS: out of memory");
        goto done;
    }
    snprintf(path, sizeof path, "%s/participants.tsv", dir);
    st = eegnn__write_text(path, participants.p);

done:
    for (ch = 0; names && ch < c.n_channels; ch++) {
        EEGNN_FREE(names[ch]);
        if (units) EEGNN_FREE(units[ch]);
        if (types) EEGNN_FREE(types[ch]);
    }
    EEGNN_FREE(names);
    EEGNN_FREE(units);
    EEGNN_FREE(types);
    EEGNN_FREE(ch_sfreq);
    EEGNN_FREE(data);
    EEGNN_FREE(shared);
    eegnn__sb_free(&participants);
    eegnn__sb_free(&channels);
    return st;
}

/* ---- HBN-like dataset (EEG Foundation Challenge 2025) ---- */

#define EEGNN__HBN_NCH 129
#define EEGNN__HBN_SFREQ 100.0

/* Weight of a channel (0..128: E1..E128, Cz) for posterior and for
 * centro-parietal generators; a smooth profile over the EGI numbering. */
static void eegnn__hbn_topography(int k, float *posterior, float *centroparietal) {
    double p = (double)(k + 1);
    if (k == 128) p = 55.0; /* Cz sits between E55 and the vertex channels */
    *posterior = (float)(0.25 + 0.75 * exp(-((p - 75.0) * (p - 75.0)) / (2.0 * 12.0 * 12.0)));
    *centroparietal = (float)(0.2 + 0.8 * exp(-((p - 62.0) * (p - 62.0)) / (2.0 * 15.0 * 15.0)));
}

/* Onset in seconds on a 1 ms grid, never half-way between two samples at
 * 100 Hz (so every reader rounds it to the same sample). */
static double eegnn__hbn_ms(double t) {
    long ms = (long)floor(t * 1000.0 + 0.5);
    if (ms % 10 == 5) ms++;
    return (double)ms / 1000.0;
}

/* Background of one recording into data (129, n_times), volts. */
static void eegnn__hbn_background(float *data, float *shared, int64_t n_times, double alpha_gain, int ssvep,
                                  eegnn_rng *rng) {
    int c;
    int64_t t;
    double b[7] = {0, 0, 0, 0, 0, 0, 0}, phase = 0.0, env = 1.0;
    const double two_pi = 6.283185307179586;
    for (t = 0; t < n_times; t++) shared[t] = (float)eegnn__pink_step(b, eegnn_rng_normal(rng));
    for (c = 0; c < EEGNN__HBN_NCH; c++) {
        double bb[7] = {0, 0, 0, 0, 0, 0, 0};
        float *row = data + (size_t)c * (size_t)n_times;
        for (t = 0; t < n_times; t++)
            row[t] = (float)(2.5e-6 * eegnn__pink_step(bb, eegnn_rng_normal(rng)) + 2.0e-6 * (double)shared[t]);
    }
    for (t = 0; t < n_times; t++) {
        double a, s = 0.0, tt = (double)t / EEGNN__HBN_SFREQ;
        env += 0.02 * (1.0 - env) + 0.05 * eegnn_rng_normal(rng) / 10.0;
        if (env < 0.1) env = 0.1;
        phase += two_pi * (10.0 + 0.15 * eegnn_rng_normal(rng)) / EEGNN__HBN_SFREQ;
        a = 12e-6 * alpha_gain * env * sin(phase);
        if (ssvep) s = 2e-6 * (sin(two_pi * 20.0 * tt) + sin(two_pi * 25.0 * tt + 1.0));
        for (c = 0; c < EEGNN__HBN_NCH; c++) {
            float wp, wc;
            eegnn__hbn_topography(c, &wp, &wc);
            data[(size_t)c * (size_t)n_times + (size_t)t] += (float)(wp * (a + s));
        }
    }
}

/* Adds a centro-parietal ramp from t0 to peak volts at t1 (s), then a
 * linear decay over 300 ms. */
static void eegnn__hbn_ramp(float *data, int64_t n_times, double t0, double t1, double peak) {
    int64_t s0 = (int64_t)floor(t0 * EEGNN__HBN_SFREQ), s1 = (int64_t)floor((t1 + 0.3) * EEGNN__HBN_SFREQ), t;
    int c;
    for (t = s0 < 0 ? 0 : s0; t <= s1 && t < n_times; t++) {
        double tt = (double)t / EEGNN__HBN_SFREQ, v;
        if (tt < t0) continue;
        v = tt < t1 ? peak * (tt - t0) / (t1 - t0) : peak * (1.0 - (tt - t1) / 0.3);
        if (v <= 0) continue;
        for (c = 0; c < EEGNN__HBN_NCH; c++) {
            float wp, wc;
            eegnn__hbn_topography(c, &wp, &wc);
            data[(size_t)c * (size_t)n_times + (size_t)t] += (float)(wc * v);
        }
    }
}

/* Writes one recording: <dir>/<sub>/eeg/<sub>_task-<task>[_run-K]_eeg.bdf
 * and _events.tsv. */
static eegnn_status eegnn__hbn_write(const char *dir, const char *sub, const char *task, int run, eegnn_raw *raw,
                                     const char *events) {
    char path[4096], stem[1024];
    eegnn_status st;
    if (run > 0) snprintf(stem, sizeof stem, "%s/%s/eeg/%s_task-%s_run-%d", dir, sub, sub, task, run);
    else snprintf(stem, sizeof stem, "%s/%s/eeg/%s_task-%s", dir, sub, sub, task);
    snprintf(path, sizeof path, "%s_eeg.bdf", stem);
    raw->path = path;
    st = eegnn_write_bdf(path, raw);
    raw->path = NULL;
    if (st) return st;
    snprintf(path, sizeof path, "%s_events.tsv", stem);
    return eegnn__write_text(path, events);
}

/* Copies <src_dir>/<name> to <dir>/<name> when it exists. */
static eegnn_status eegnn__hbn_copy_sidecar(const char *src_dir, const char *dir, const char *name) {
    char path[4096], *text = NULL;
    size_t len = 0;
    eegnn_status st;
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", src_dir, name);
    fp = fopen(path, "rb");
    if (!fp) return EEGNN_OK;
    fclose(fp);
    st = eegnn__read_file(path, &text, &len);
    if (st) return st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    st = eegnn__write_text(path, text);
    EEGNN_FREE(text);
    return st;
}

/* dataset_description.json, participants.tsv (copied verbatim) and the
 * task sidecars found beside it. */
static eegnn_status eegnn__hbn_top_files(const char *dir, const char *participants_tsv,
                                         const char *const tasks[2]) {
    char path[4096], src_dir[4096], name[256], *text = NULL;
    const char *slash;
    eegnn_status st;
    int k;
    if ((st = eegnn__mkdirs(dir))) return st;
    snprintf(path, sizeof path, "%s/dataset_description.json", dir);
    st = eegnn__write_text(path, "{\n  \"Name\": \"eegnn synthetic HBN-like EEG (EEG Foundation Challenge 2025 layout)\",\n"
                                 "  \"BIDSVersion\": \"1.9.0\",\n  \"DatasetType\": \"raw\",\n"
                                 "  \"GeneratedBy\": [{\"Name\": \"eegnn\", \"Version\": \"" EEGNN_VERSION_STRING
                                 "\"}]\n}\n");
    if (st || (st = eegnn__read_file(participants_tsv, &text, NULL))) return st;
    snprintf(path, sizeof path, "%s/participants.tsv", dir);
    st = eegnn__write_text(path, text);
    EEGNN_FREE(text);
    if (st) return st;
    slash = strrchr(participants_tsv, '/');
    if (slash) snprintf(src_dir, sizeof src_dir, "%.*s", (int)(slash - participants_tsv), participants_tsv);
    else snprintf(src_dir, sizeof src_dir, ".");
    for (k = 0; k < 2 && st == EEGNN_OK; k++) {
        snprintf(name, sizeof name, "task-%s_eeg.json", tasks[k]);
        if ((st = eegnn__hbn_copy_sidecar(src_dir, dir, name))) break;
        snprintf(name, sizeof name, "task-%s_events.json", tasks[k]);
        st = eegnn__hbn_copy_sidecar(src_dir, dir, name);
    }
    return st;
}

/* One contrastChangeDetection run: its events.tsv text into ev and its
 * signal into data (129, n_times) (shared: scratch); *n_times from the
 * trials drawn. gain scales the background (externalizing). */
static void eegnn__hbn_ccd_run(const eegnn_synthetic_hbn_config *c, int run, double gain, eegnn_rng *rng,
                               eegnn__strbuf *ev, float *data, float *shared, int64_t *n_times) {
    static const double iti[3] = {2.8, 4.4, 6.0};
    /* trial plan: target time, press time (NaN: missed), side, correct */
    double tt[1001], tp[1001], t = 1.5;
    int side[1001], ok[1001], tr;
    ev->len = 0;
    if (ev->p) ev->p[0] = 0;
    eegnn__sb_printf(ev, "onset\tduration\tsample\tvalue\tevent_code\tfeedback\n");
    eegnn__sb_printf(ev, "0.500\tn/a\t50\tcontrastChangeB%d_start\t%d\tn/a\n", run, 93 + run);
    for (tr = 0; tr <= c->trials_per_run; tr++) {
        double start = eegnn__hbn_ms(t);
        double u = eegnn_rng_uniform(rng);
        tt[tr] = eegnn__hbn_ms(start + iti[(int)(u * 3.0) % 3]);
        side[tr] = eegnn_rng_uniform(rng) < 0.5;
        ok[tr] = eegnn_rng_uniform(rng) >= 0.1;
        tp[tr] = eegnn_rng_uniform(rng) < c->miss_rate ? NAN : eegnn__hbn_ms(tt[tr] + 0.3 + 2.0 * eegnn_rng_uniform(rng));
        eegnn__sb_printf(ev, "%.3f\tn/a\t%lld\tcontrastTrial_start\t5\tn/a\n", start,
                         (long long)nearbyint(start * EEGNN__HBN_SFREQ));
        if (eegnn_rng_uniform(rng) < 0.05) { /* a press before the target (no response to it) */
            double te = eegnn__hbn_ms(start + 0.2 + 2.4 * eegnn_rng_uniform(rng));
            eegnn__sb_printf(ev, "%.3f\tn/a\t%lld\tleft_buttonPress\t12\tsad_face\n", te,
                             (long long)nearbyint(te * EEGNN__HBN_SFREQ));
        }
        eegnn__sb_printf(ev, "%.3f\tn/a\t%lld\t%s_target\t%d\tn/a\n", tt[tr],
                         (long long)nearbyint(tt[tr] * EEGNN__HBN_SFREQ), side[tr] ? "right" : "left", side[tr] ? 9 : 8);
        if (tp[tr] == tp[tr]) {
            int right = ok[tr] ? side[tr] : !side[tr];
            eegnn__sb_printf(ev, "%.3f\tn/a\t%lld\t%s_buttonPress\t%d\t%s\n", tp[tr],
                             (long long)nearbyint(tp[tr] * EEGNN__HBN_SFREQ), right ? "right" : "left",
                             right ? 13 : 12, ok[tr] ? "smiley_face" : "sad_face");
            if (tp[tr] + 0.1 < tt[tr] + 2.4 && eegnn_rng_uniform(rng) < 0.05) { /* a second press */
                double t2 = eegnn__hbn_ms(tp[tr] + 0.1);
                eegnn__sb_printf(ev, "%.3f\tn/a\t%lld\t%s_buttonPress\t%d\tsad_face\n", t2,
                                 (long long)nearbyint(t2 * EEGNN__HBN_SFREQ), right ? "left" : "right",
                                 right ? 12 : 13);
            }
        }
        t = tt[tr] + 2.4;
    }
    *n_times = (int64_t)((t + 3.0) * EEGNN__HBN_SFREQ);
    eegnn__hbn_background(data, shared, *n_times, gain, 1, rng);
    for (tr = 0; tr <= c->trials_per_run; tr++) {
        if (tp[tr] == tp[tr]) eegnn__hbn_ramp(data, *n_times, tt[tr], tp[tr], 40e-6);
        else eegnn__hbn_ramp(data, *n_times, tt[tr], tt[tr] + 1.6, 8e-6);
    }
}

/* The RestingState recording: events (eyes open / closed every 20 s) into
 * ev, signal into data. */
static void eegnn__hbn_rest(const eegnn_synthetic_hbn_config *c, double gain, eegnn_rng *rng, eegnn__strbuf *ev,
                            float *data, float *shared, int64_t *n_times) {
    double t;
    int open = 1;
    *n_times = (int64_t)(c->rest_seconds * EEGNN__HBN_SFREQ);
    ev->len = 0;
    if (ev->p) ev->p[0] = 0;
    eegnn__sb_printf(ev, "onset\tduration\tsample\tvalue\tevent_code\n");
    eegnn__sb_printf(ev, "0.000\tn/a\t0\tresting_start\t90\n");
    for (t = 1.0; t < c->rest_seconds; t += 20.0, open = !open)
        eegnn__sb_printf(ev, "%.3f\tn/a\t%lld\tinstructed_to%sEyes\t%d\n", t,
                         (long long)nearbyint(t * EEGNN__HBN_SFREQ), open ? "Open" : "Close", open ? 20 : 30);
    eegnn__hbn_background(data, shared, *n_times, gain, 0, rng);
}

EEGNN_API eegnn_status eegnn_write_synthetic_hbn(const char *dir, const eegnn_synthetic_hbn_config *cfg) {
    static const char *const tasks[2] = {"contrastChangeDetection", "RestingState"};
    eegnn_synthetic_hbn_config c;
    eegnn_table *part = NULL;
    eegnn__strbuf ev = {0, 0, 0, 0};
    eegnn_raw raw;
    char *names[EEGNN__HBN_NCH], *units[EEGNN__HBN_NCH], *types[EEGNN__HBN_NCH];
    double ch_sfreq[EEGNN__HBN_NCH];
    float *data = NULL, *shared = NULL;
    int64_t cap_times;
    eegnn_rng rng;
    eegnn_status st = EEGNN_OK;
    int k, s, n_sub, id_col, ext_col;

    c = cfg ? *cfg : eegnn_synthetic_hbn_config_default();
    if (!dir || !*dir || !c.participants_tsv)
        return eegnn_set_error(EEGNN_ERR_ARG, "synthetic HBN: an output directory and a participants.tsv are required");
    c.ccd_runs = EEGNN__UNSET_OR(c.ccd_runs, 3);
    if (!c.trials_per_run) c.trials_per_run = 24;
    c.rest_seconds = EEGNN__UNSET_OR(c.rest_seconds, 60);
    c.miss_rate = EEGNN__UNSET_OR(c.miss_rate, 0.05);
    if (c.ccd_runs < 0 || c.ccd_runs > 3 || c.trials_per_run < 1 || c.trials_per_run > 1000 || c.n_subjects < 0 ||
        !(c.rest_seconds >= 0) || c.rest_seconds > 3600 || !(c.miss_rate >= 0) || c.miss_rate >= 1)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "synthetic HBN: invalid config (runs %d, trials %d, subjects %d, rest %g s, miss rate %g)",
                               c.ccd_runs, c.trials_per_run, c.n_subjects, c.rest_seconds, c.miss_rate);
    memset(names, 0, sizeof names);
    memset(units, 0, sizeof units);
    memset(types, 0, sizeof types);
    part = eegnn_table_read_tsv(c.participants_tsv);
    if (!part) return EEGNN_ERR_NOT_FOUND;
    id_col = eegnn_table_column(part, "participant_id");
    ext_col = eegnn_table_column(part, "externalizing");
    if (id_col < 0) {
        st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no participant_id column", c.participants_tsv);
        goto done;
    }
    n_sub = c.n_subjects && c.n_subjects < part->n_rows ? c.n_subjects : part->n_rows;
    eegnn_rng_seed(&rng, c.seed ^ 0x4842u);
    for (k = 0; k < EEGNN__HBN_NCH; k++) {
        char buf[16];
        if (k < 128) snprintf(buf, sizeof buf, "E%d", k + 1);
        else snprintf(buf, sizeof buf, "Cz");
        names[k] = eegnn__strdup(buf);
        units[k] = eegnn__strdup("uV");
        types[k] = eegnn__strdup("eeg");
        ch_sfreq[k] = EEGNN__HBN_SFREQ;
        if (!names[k] || !units[k] || !types[k]) {
            st = eegnn_set_error(EEGNN_ERR_MEMORY, "synthetic HBN: out of memory");
            goto done;
        }
    }
    /* the longest recording: every trial at the longest interval */
    cap_times = (int64_t)((1.5 + (c.trials_per_run + 1) * 8.4 + 8.0) * EEGNN__HBN_SFREQ);
    if (c.rest_seconds > 0 && (int64_t)(c.rest_seconds * EEGNN__HBN_SFREQ) > cap_times)
        cap_times = (int64_t)(c.rest_seconds * EEGNN__HBN_SFREQ);
    data = (float *)eegnn__calloc((size_t)EEGNN__HBN_NCH * (size_t)cap_times, sizeof(float));
    shared = (float *)eegnn__calloc((size_t)cap_times, sizeof(float));
    if (!data || !shared) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    memset(&raw, 0, sizeof raw);
    raw.format = (char *)"BDF";
    raw.n_channels = EEGNN__HBN_NCH;
    raw.ch_names = names;
    raw.ch_units = units;
    raw.ch_types = types;
    raw.ch_sfreq = ch_sfreq;
    raw.sfreq = EEGNN__HBN_SFREQ;
    raw.data = data;
    raw.meas_date = 1577836800.0;
    if ((st = eegnn__hbn_top_files(dir, c.participants_tsv, tasks))) goto done;

    for (s = 0; s < n_sub && st == EEGNN_OK; s++) {
        const char *sub = eegnn_table_cell(part, s, id_col), *ext_text = ext_col >= 0 ? eegnn_table_cell(part, s, ext_col) : NULL;
        double ext = 0.0, gain = 1.0;
        int run;
        char subdir[1024];
        if (!sub) continue;
        if (ext_text && eegnn__parse_double(ext_text, &ext)) {
            gain = 1.0 + 0.5 * ext;
            if (gain < 0.2) gain = 0.2;
            if (gain > 3.0) gain = 3.0;
        }
        snprintf(subdir, sizeof subdir, "%s/%s/eeg", dir, sub);
        if ((st = eegnn__mkdirs(subdir))) break;
        for (run = 1; run <= c.ccd_runs && st == EEGNN_OK; run++) {
            char col[64];
            int avail_col;
            snprintf(col, sizeof col, "contrastChangeDetection_%d", run);
            avail_col = eegnn_table_column(part, col);
            if (avail_col >= 0) {
                const char *a = eegnn_table_cell(part, s, avail_col);
                if (a && strcmp(a, "unavailable") == 0) continue;
            }
            eegnn__hbn_ccd_run(&c, run, gain, &rng, &ev, data, shared, &raw.n_times);
            if (ev.failed) st = eegnn_set_error(EEGNN_ERR_MEMORY, "synthetic HBN: out of memory");
            else st = eegnn__hbn_write(dir, sub, tasks[0], run, &raw, ev.p);
        }
        if (c.rest_seconds > 0 && st == EEGNN_OK) {
            eegnn__hbn_rest(&c, gain, &rng, &ev, data, shared, &raw.n_times);
            if (ev.failed) st = eegnn_set_error(EEGNN_ERR_MEMORY, "synthetic HBN: out of memory");
            else st = eegnn__hbn_write(dir, sub, tasks[1], 0, &raw, ev.p);
        }
    }
done:
    for (k = 0; k < EEGNN__HBN_NCH; k++) {
        EEGNN_FREE(names[k]);
        EEGNN_FREE(units[k]);
        EEGNN_FREE(types[k]);
    }
    EEGNN_FREE(data);
    EEGNN_FREE(shared);
    eegnn__sb_free(&ev);
    eegnn_table_free(part);
    return st;
}
