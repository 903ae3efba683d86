/* The model zoo: model names (braindecode's class names, case-insensitive,
 * plus short aliases) mapped to their constructors. */

typedef eegnn_tensor *(*eegnn__model_fn)(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

typedef struct eegnn__zoo_entry {
    const char *name;
    const char *alias;
    eegnn__model_fn build;
} eegnn__zoo_entry;

static const eegnn__zoo_entry eegnn__zoo[] = {
    {"cnn", NULL, eegnn_model_cnn},
    {"MLP", "mlp", eegnn_model_mlp},
    {"shallow1d", NULL, eegnn_model_shallow},
    {"EEGNeX", NULL, eegnn_model_eegnex},
    {"EEGNetv4", "EEGNet", eegnn_model_eegnet},
    {"ShallowFBCSPNet", "shallow", eegnn_model_shallow_fbcsp},
    {"Deep4Net", "deep4", eegnn_model_deep4},
    {"BDTCN", "tcn", eegnn_model_bdtcn},
    {"EEGTransformer", "transformer", eegnn_model_eeg_transformer},
    {"EEGConformer", "conformer", eegnn_model_eeg_conformer},
    {"BandPowerMLP", "bandpower", eegnn_model_bandpower_mlp},
};

static int eegnn__name_eq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        int ca = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a, cb = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
        if (ca != cb) return 0;
    }
    return *a == *b;
}

EEGNN_API int eegnn_model_find(const char *name) {
    size_t i;
    for (i = 0; name && i < sizeof eegnn__zoo / sizeof *eegnn__zoo; i++)
        if (eegnn__name_eq(name, eegnn__zoo[i].name) || (eegnn__zoo[i].alias && eegnn__name_eq(name, eegnn__zoo[i].alias)))
            return (int)i;
    return -1;
}

EEGNN_API eegnn_tensor *eegnn_model_build(eegnn_graph *g, const char *name, eegnn_tensor *x,
                                          const eegnn_model_config *cfg) {
    size_t i;
    int k = eegnn_model_find(name);
    eegnn__strbuf known = {0, 0, 0, 0};
    if (!g || !x) return NULL;
    if (k >= 0) return eegnn__zoo[k].build(g, x, cfg);
    for (i = 0; i < sizeof eegnn__zoo / sizeof *eegnn__zoo; i++)
        eegnn__sb_printf(&known, "%s%s", i ? ", " : "", eegnn__zoo[i].name);
    eegnn_set_error(EEGNN_ERR_NOT_FOUND, "unknown model '%s' (known: %s)", name ? name : "(null)",
                    known.p ? known.p : "");
    eegnn__sb_free(&known);
    return NULL;
}

EEGNN_API int eegnn_model_count(void) { return (int)(sizeof eegnn__zoo / sizeof *eegnn__zoo); }

EEGNN_API const char *eegnn_model_name(int i) {
    return i >= 0 && i < eegnn_model_count() ? eegnn__zoo[i].name : NULL;
}

EEGNN_API const char *eegnn_model_alias(int i) {
    return i >= 0 && i < eegnn_model_count() ? eegnn__zoo[i].alias : NULL;
}
