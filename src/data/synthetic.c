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

    memset(&c, 0, sizeof c);
    if (cfg) c = *cfg;
    if (!c.n_subjects) c.n_subjects = 40;
    if (!c.n_channels) c.n_channels = 20;
    if (c.sfreq == 0) c.sfreq = 128;
    if (c.duration == 0) c.duration = 60;
    if (c.line_freq == 0) c.line_freq = 50.0 < c.sfreq / 2 ? 50.0 : -1.0; /* none at or above Nyquist */
    if (!dir || !*dir) return eegnn_set_error(EEGNN_ERR_ARG, "synthetic BIDS: no output directory given");
    if (c.n_subjects < 1 || c.n_subjects > 9999 || c.n_channels < 1 || c.n_channels > 256 || !(c.sfreq > 0) ||
        !(c.duration > 0) || c.duration * c.sfreq > 1e8 || c.line_freq >= c.sfreq / 2)
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
