/* EEG Foundation Challenge 2025 submission export (see submission.h). */

/* submission.py, one line per entry. */
static const char *const eegnn__submission_py[] = {
    "# EEG Foundation Challenge 2025 submission written by eegnn export-submission.",
    "# Self-contained PyTorch ports of the models eegnn trained (braindecode state_dict",
    "# names), the input standardisation and target scaling eegnn used, and a reader",
    "# for the weights files (safetensors, read with json + numpy).",
    "# Input: (batch, 129, 200) in volts, as the challenge's data loaders give it.",
    "import json",
    "import os",
    "",
    "import numpy as np",
    "import torch",
    "import torch.nn as nn",
    "from torch.nn.utils.parametrize import register_parametrization",
    "",
    "HERE = os.path.dirname(os.path.abspath(__file__))",
    "",
    "",
    "def read_safetensors(path):",
    "    with open(path, 'rb') as f:",
    "        n = int(np.frombuffer(f.read(8), dtype='<u8')[0])",
    "        header = json.loads(f.read(n).decode('utf-8'))",
    "        data = f.read()",
    "    meta = header.pop('__metadata__', {}) or {}",
    "    tensors = {}",
    "    for name, info in header.items():",
    "        if info['dtype'] != 'F32':",
    "            raise ValueError('%s: %s is %s, expected F32' % (path, name, info['dtype']))",
    "        a, b = info['data_offsets']",
    "        tensors[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype='<f4').reshape(info['shape']).copy())",
    "    return tensors, meta",
    "",
    "",
    "class MaxNormParametrize(nn.Module):",
    "    def __init__(self, max_norm=1.0):",
    "        super().__init__()",
    "        self.max_norm = max_norm",
    "",
    "    def forward(self, X):",
    "        return X.renorm(p=2, dim=0, maxnorm=self.max_norm)",
    "",
    "",
    "class Conv2dWithConstraint(nn.Conv2d):",
    "    def __init__(self, *args, max_norm=1, **kwargs):",
    "        super().__init__(*args, **kwargs)",
    "        self.max_norm = max_norm",
    "        register_parametrization(self, 'weight', MaxNormParametrize(self.max_norm))",
    "",
    "",
    "class LinearWithConstraint(nn.Linear):",
    "    def __init__(self, *args, max_norm=1.0, **kwargs):",
    "        super().__init__(*args, **kwargs)",
    "        self.max_norm = max_norm",
    "        register_parametrization(self, 'weight', MaxNormParametrize(self.max_norm))",
    "",
    "",
    "class Unsqueeze1(nn.Module):",
    "    def forward(self, x):",
    "        return x.unsqueeze(1)",
    "",
    "",
    "class EEGNeX(nn.Module):",
    "    # braindecode.models.EEGNeX (Chen et al. 2024) with braindecode's defaults",
    "    def __init__(self, n_chans, n_outputs, n_times, drop_prob=0.5, filter_1=8, filter_2=32, depth_multiplier=2,",
    "                 kernel_block_1_2=64, kernel_block_4=16, dilation_block_4=2, avg_pool_block4=4,",
    "                 kernel_block_5=16, dilation_block_5=4, avg_pool_block5=8, max_norm_conv=1.0,",
    "                 max_norm_linear=0.25):",
    "        super().__init__()",
    "        filter_3 = filter_2 * depth_multiplier",
    "        in_features = filter_1 * (n_times // filter_2)",
    "        self.block_1 = nn.Sequential(",
    "            Unsqueeze1(),",
    "            nn.Conv2d(1, filter_1, (1, kernel_block_1_2), padding='same', bias=False),",
    "            nn.BatchNorm2d(filter_1))",
    "        self.block_2 = nn.Sequential(",
    "            nn.Conv2d(filter_1, filter_2, (1, kernel_block_1_2), padding='same', bias=False),",
    "            nn.BatchNorm2d(filter_2))",
    "        self.block_3 = nn.Sequential(",
    "            Conv2dWithConstraint(filter_2, filter_3, max_norm=max_norm_conv, kernel_size=(n_chans, 1),",
    "                                 groups=filter_2, bias=False),",
    "            nn.BatchNorm2d(filter_3), nn.ELU(),",
    "            nn.AvgPool2d(kernel_size=(1, avg_pool_block4), padding=(0, 1)),",
    "            nn.Dropout(p=drop_prob))",
    "        self.block_4 = nn.Sequential(",
    "            nn.Conv2d(filter_3, filter_2, (1, kernel_block_4), dilation=(1, dilation_block_4), padding='same',",
    "                      bias=False),",
    "            nn.BatchNorm2d(filter_2))",
    "        self.block_5 = nn.Sequential(",
    "            nn.Conv2d(filter_2, filter_1, (1, kernel_block_5), dilation=(1, dilation_block_5), padding='same',",
    "                      bias=False),",
    "            nn.BatchNorm2d(filter_1), nn.ELU(),",
    "            nn.AvgPool2d(kernel_size=(1, avg_pool_block5), padding=(0, 1)),",
    "            nn.Dropout(p=drop_prob), nn.Flatten())",
    "        self.final_layer = LinearWithConstraint(in_features=in_features, out_features=n_outputs,",
    "                                                max_norm=max_norm_linear)",
    "",
    "    def forward(self, x):",
    "        x = self.block_1(x)",
    "        x = self.block_2(x)",
    "        x = self.block_3(x)",
    "        x = self.block_4(x)",
    "        x = self.block_5(x)",
    "        return self.final_layer(x)",
    "",
    "",
    "class CNN(nn.Module):",
    "    # eegnn's benchmark CNN: conv1d, ReLU, conv1d, ReLU, mean over time, linear",
    "    def __init__(self, n_chans, n_outputs, n_times, n_filters=64, kernel_size=7):",
    "        super().__init__()",
    "        self.conv1 = nn.Conv1d(n_chans, n_filters, kernel_size)",
    "        self.conv2 = nn.Conv1d(n_filters, n_filters, kernel_size)",
    "        self.final_layer = nn.Linear(n_filters, n_outputs)",
    "",
    "    def forward(self, x):",
    "        x = torch.relu(self.conv1(x))",
    "        x = torch.relu(self.conv2(x))",
    "        return self.final_layer(x.mean(dim=2))",
    "",
    "",
    "class EEGNNModel(nn.Module):",
    "    # scale (volts to microvolts), per-channel standardisation with the training",
    "    # split's statistics, the network, then the target back in its units",
    "    def __init__(self, path):",
    "        super().__init__()",
    "        tensors, meta = read_safetensors(path)",
    "        cfg = json.loads(meta['model_config'])",
    "        name = meta['model'].lower()",
    "        if name == 'eegnex':",
    "            self.net = EEGNeX(cfg['n_chans'], cfg['n_outputs'], cfg['n_times'])",
    "        elif name == 'cnn':",
    "            self.net = CNN(cfg['n_chans'], cfg['n_outputs'], cfg['n_times'], cfg['n_filters'] or 64,",
    "                           cfg['kernel_size'] or 7)",
    "        else:",
    "            raise ValueError('%s: model %s has no port in this file' % (path, meta['model']))",
    "        state = self.net.state_dict()",
    "        missing = [k for k in state if k not in tensors and not k.endswith('num_batches_tracked')]",
    "        if missing:",
    "            raise ValueError('%s: missing tensors %s' % (path, missing))",
    "        self.net.load_state_dict({k: tensors[k] if k in tensors else state[k] for k in state})",
    "        self.net.eval()",
    "        self.scale = 1e6",
    "        self.register_buffer('input_mean', torch.tensor(json.loads(meta['input_mean']), dtype=torch.float32))",
    "        self.register_buffer('input_std', torch.tensor(json.loads(meta['input_std']), dtype=torch.float32))",
    "        self.target_mean = float(meta['target_mean'])",
    "        self.target_std = float(meta['target_std'])",
    "",
    "    def forward(self, x):",
    "        x = (x * self.scale - self.input_mean[:, None]) / self.input_std[:, None]",
    "        return self.net(x) * self.target_std + self.target_mean",
    "",
    "",
    "class Submission:",
    "    def __init__(self, SFREQ, DEVICE):",
    "        self.sfreq = SFREQ",
    "        self.device = DEVICE",
    "",
    "    def get_model_challenge_1(self):",
    "        return EEGNNModel(os.path.join(HERE, 'weights_challenge_1.safetensors')).to(self.device).eval()",
    "",
    "    def get_model_challenge_2(self):",
    "        return EEGNNModel(os.path.join(HERE, 'weights_challenge_2.safetensors')).to(self.device).eval()"};

/* ASCII case-insensitive equality. */
static int eegnn__submission_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

/* Checks that a checkpoint has a model submission.py can rebuild. */
static eegnn_status eegnn__submission_check(const char *path) {
    eegnn_safetensors *f = eegnn_safetensors_open(path);
    const char *model, *n_classes;
    eegnn_status st = EEGNN_OK;
    if (!f) return EEGNN_ERR_IO;
    model = eegnn_safetensors_metadata(f, "model");
    n_classes = eegnn_safetensors_metadata(f, "n_classes");
    if (!model || !n_classes || !eegnn_safetensors_metadata(f, "model_config") ||
        !eegnn_safetensors_metadata(f, "input_mean") || !eegnn_safetensors_metadata(f, "target_std"))
        st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: not a checkpoint written by eegnn train (no model metadata)", path);
    else if (strcmp(n_classes, "0") != 0)
        st = eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: a classification model (%s classes); the challenge needs "
                             "regression", path, n_classes);
    else if (!eegnn__submission_ieq(model, "EEGNeX") && !eegnn__submission_ieq(model, "cnn"))
        st = eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: model '%s' has no PyTorch port in submission.py "
                             "(EEGNeX, cnn)", path, model);
    eegnn_safetensors_close(f);
    return st;
}

/* Copies a file byte for byte (atomically). */
static eegnn_status eegnn__submission_copy(const char *src, const char *dst) {
    char *data = NULL;
    size_t len = 0;
    eegnn__outfile of;
    eegnn_status st = eegnn__read_file(src, &data, &len);
    if (st) return st;
    st = eegnn__outfile_open(&of, dst);
    if (!st) st = eegnn__outfile_write(&of, data, len);
    if (!st) st = eegnn__outfile_commit(&of);
    else eegnn__outfile_abort(&of);
    EEGNN_FREE(data);
    return st;
}

EEGNN_API eegnn_status eegnn_export_submission(const char *checkpoint_c1, const char *checkpoint_c2,
                                               const char *out_dir) {
    char path[4096];
    eegnn__strbuf py = {0, 0, 0, 0};
    eegnn_status st;
    size_t i;
    if (!checkpoint_c1 || !checkpoint_c2 || !out_dir || !*out_dir)
        return eegnn_set_error(EEGNN_ERR_ARG, "export submission: two checkpoints and an output directory are needed");
    if ((st = eegnn__submission_check(checkpoint_c1)) || (st = eegnn__submission_check(checkpoint_c2))) return st;
    if ((st = eegnn__mkdirs(out_dir))) return st;
    snprintf(path, sizeof path, "%s/weights_challenge_1.safetensors", out_dir);
    if ((st = eegnn__submission_copy(checkpoint_c1, path))) return st;
    snprintf(path, sizeof path, "%s/weights_challenge_2.safetensors", out_dir);
    if ((st = eegnn__submission_copy(checkpoint_c2, path))) return st;
    for (i = 0; i < sizeof eegnn__submission_py / sizeof eegnn__submission_py[0]; i++)
        eegnn__sb_printf(&py, "%s\n", eegnn__submission_py[i]);
    if (py.failed) {
        eegnn__sb_free(&py);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "export submission: out of memory");
    }
    snprintf(path, sizeof path, "%s/submission.py", out_dir);
    st = eegnn__write_text(path, py.p);
    eegnn__sb_free(&py);
    return st;
}
