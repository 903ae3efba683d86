/* ---------------------------------------------------------------------------
 * The `eegnn` program's EEG Foundation Challenge 2025 parts (examples/, not
 * part of eegnn.h; built on its public API): the challenge score and the
 * submission export. (The challenge's presets are in eegnn.c; its Challenge
 * 1 target, "challenge1", is a dataset target of eegnn.h.)
 * ------------------------------------------------------------------------- */
#ifndef EEGNN_APP_CHALLENGE_C
#define EEGNN_APP_CHALLENGE_C
#include "app.h"

/* Overall score of the EEG Foundation Challenge 2025: 0.3 * nrmse_c1 +
 * 0.7 * nrmse_c2 (eeg2025.github.io, lower is better; 1.0 on both is the
 * score of predicting each target's mean). NaN when either input is NaN. */
double eegnn_challenge_score(double nrmse_c1, double nrmse_c2) { return 0.3 * nrmse_c1 + 0.7 * nrmse_c2; }

/* Writes a submission folder for the EEG Foundation Challenge 2025 into
 * out_dir (created if absent): weights_challenge_1.safetensors and
 * weights_challenge_2.safetensors (copies of the two checkpoints written by
 * eegnn_train, best.safetensors: braindecode state_dict names plus eegnn's
 * metadata) and submission.py, which defines class Submission(SFREQ,
 * DEVICE) with get_model_challenge_1() / get_model_challenge_2() returning a
 * torch.nn.Module in eval mode (the challenge's interface,
 * eeg2025.github.io). Each module takes (batch, n_chans, n_times) in volts,
 * as the challenge's loaders give it, multiplies by 1e6 (eegnn's dataset
 * scale, to microvolts), standardises each channel with the training split's
 * mean and std, runs the network and maps the output back to the target's
 * units: eegnn_predict's value for the same window. The file carries its own
 * PyTorch code (no braindecode needed; tested with torch 1.13) for the
 * models EEGNeX, EEGNetv4, ShallowFBCSPNet, Deep4Net and BDTCN (braindecode's
 * architectures and state_dict names, with the hyperparameters eegnn's
 * model_config sets) and eegnn's "cnn".
 * Errors: EEGNN_ERR_ARG (NULL arguments), reading a checkpoint, a
 * checkpoint without eegnn_train's metadata or with a classification target
 * or another model (EEGNN_ERR_UNSUPPORTED, naming it), EEGNN_ERR_IO writing;
 * files are written atomically. Thread safety: reentrant. */
eegnn_status eegnn_export_submission(const char *checkpoint_c1, const char *checkpoint_c2,
                                     const char *out_dir);


/* submission.py, one line per entry. */
static const char *const submission_py[] = {
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
    "import torch.nn.functional as F",
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
    "class WeightNorm(nn.Module):",
    "    '''torch.nn.utils.parametrizations.weight_norm's parametrization (dim 0).'''",
    "",
    "    def forward(self, weight_g, weight_v):",
    "        return torch._weight_norm(weight_v, weight_g, 0)",
    "",
    "    def right_inverse(self, weight):",
    "        return torch.norm_except_dim(weight, 2, 0), weight",
    "",
    "",
    "def weight_norm(module):",
    "    register_parametrization(module, 'weight', WeightNorm(), unsafe=True)",
    "    return module",
    "",
    "",
    "class Rearrange(nn.Module):",
    "    '''einops Rearrange for the few patterns the models use.'''",
    "",
    "    def __init__(self, pattern):",
    "        super().__init__()",
    "        self.pattern = pattern",
    "",
    "    def forward(self, x):",
    "        if self.pattern == 'batch ch time -> batch 1 ch time':",
    "            return x.unsqueeze(1)",
    "        if self.pattern == 'batch ch t 1 -> batch 1 ch t':",
    "            return x.permute(0, 3, 1, 2)",
    "        if self.pattern == 'batch C T 1 -> batch 1 T C':",
    "            return x.permute(0, 3, 2, 1)",
    "        if self.pattern == 'batch x y z -> batch x z y':",
    "            return x.permute(0, 1, 3, 2)",
    "        raise ValueError(self.pattern)",
    "",
    "",
    "class Ensure4d(nn.Module):",
    "    def forward(self, x):",
    "        while len(x.shape) < 4:",
    "            x = x.unsqueeze(-1)",
    "        return x",
    "",
    "",
    "class SqueezeFinalOutput(nn.Module):",
    "    def forward(self, x):",
    "        assert x.size()[3] == 1",
    "        x = x[:, :, :, 0]",
    "        if x.size()[2] == 1:",
    "            x = x[:, :, 0]",
    "        return x",
    "",
    "",
    "class Square(nn.Module):",
    "    def forward(self, x):",
    "        return x * x",
    "",
    "",
    "class SafeLog(nn.Module):",
    "    def __init__(self, epsilon=1e-6):",
    "        super().__init__()",
    "        self.epsilon = epsilon",
    "",
    "    def forward(self, x):",
    "        return torch.log(torch.clamp(x, min=self.epsilon))",
    "",
    "",
    "class CombinedConv(nn.Module):",
    "    def __init__(self, in_chans, n_filters_time=40, n_filters_spat=40, filter_time_length=25,",
    "                 bias_time=True, bias_spat=True):",
    "        super().__init__()",
    "        self.bias_time = bias_time",
    "        self.bias_spat = bias_spat",
    "        self.conv_time = nn.Conv2d(1, n_filters_time, (filter_time_length, 1), bias=bias_time, stride=1)",
    "        self.conv_spat = nn.Conv2d(n_filters_time, n_filters_spat, (1, in_chans), bias=bias_spat, stride=1)",
    "",
    "    def forward(self, x):",
    "        combined_weight = (self.conv_time.weight * self.conv_spat.weight.permute(1, 0, 2, 3)).sum(0).unsqueeze(1)",
    "        bias = None",
    "        if self.bias_time:",
    "            bias = self.conv_spat.weight.squeeze().sum(-1).mm(self.conv_time.bias.unsqueeze(-1)).squeeze()",
    "        if self.bias_spat:",
    "            bias = self.conv_spat.bias if bias is None else bias + self.conv_spat.bias",
    "        return F.conv2d(x, weight=combined_weight, bias=bias, stride=(1, 1))",
    "",
    "",
    "class Chomp1d(nn.Module):",
    "    def __init__(self, chomp_size):",
    "        super().__init__()",
    "        self.chomp_size = chomp_size",
    "",
    "    def forward(self, x):",
    "        return x[:, :, : -self.chomp_size].contiguous()",
    "",
    "",
    "class EEGNetv4(nn.Sequential):",
    "    '''braindecode.models.EEGNetv4 / EEGNet (Lawhern et al. 2018), conv classifier head.'''",
    "",
    "    def __init__(self, n_chans, n_outputs, n_times, drop_prob=0.25, F1=8, D=2, F2=None, kernel_length=64,",
    "                 depthwise_kernel_length=16, pool1_kernel_size=4, pool2_kernel_size=8):",
    "        super().__init__()",
    "        F2 = F1 * D if F2 is None else F2",
    "        mom, eps = 0.01, 1e-3",
    "        self.add_module('ensuredims', Ensure4d())",
    "        self.add_module('dimshuffle', Rearrange('batch ch t 1 -> batch 1 ch t'))",
    "        self.add_module('conv_temporal', nn.Conv2d(1, F1, (1, kernel_length), bias=False,",
    "                                                   padding=(0, kernel_length // 2)))",
    "        self.add_module('bnorm_temporal', nn.BatchNorm2d(F1, momentum=mom, affine=True, eps=eps))",
    "        self.add_module('conv_spatial', Conv2dWithConstraint(F1, F1 * D, (n_chans, 1), max_norm=1, bias=False,",
    "                                                             groups=F1))",
    "        self.add_module('bnorm_1', nn.BatchNorm2d(F1 * D, momentum=mom, affine=True, eps=eps))",
    "        self.add_module('elu_1', nn.ELU())",
    "        self.add_module('pool_1', nn.AvgPool2d(kernel_size=(1, pool1_kernel_size)))",
    "        self.add_module('drop_1', nn.Dropout(p=drop_prob))",
    "        self.add_module('conv_separable_depth', nn.Conv2d(F1 * D, F1 * D, (1, depthwise_kernel_length), bias=False,",
    "                                                          groups=F1 * D,",
    "                                                          padding=(0, depthwise_kernel_length // 2)))",
    "        self.add_module('conv_separable_point', nn.Conv2d(F1 * D, F2, (1, 1), bias=False))",
    "        self.add_module('bnorm_2', nn.BatchNorm2d(F2, momentum=mom, affine=True, eps=eps))",
    "        self.add_module('elu_2', nn.ELU())",
    "        self.add_module('pool_2', nn.AvgPool2d(kernel_size=(1, pool2_kernel_size)))",
    "        self.add_module('drop_2', nn.Dropout(p=drop_prob))",
    "        # braindecode infers the head size with a forward pass here (in train",
    "        # mode, updating the BatchNorm statistics); the size is computed instead.",
    "        t = n_times + 2 * (kernel_length // 2) - kernel_length + 1",
    "        t = t // pool1_kernel_size",
    "        t = t + 2 * (depthwise_kernel_length // 2) - depthwise_kernel_length + 1",
    "        t = t // pool2_kernel_size",
    "        head = nn.Sequential()",
    "        head.add_module('conv_classifier', nn.Conv2d(F2, n_outputs, (1, t), bias=True))",
    "        head.add_module('permute_back', Rearrange('batch x y z -> batch x z y'))",
    "        head.add_module('squeeze', SqueezeFinalOutput())",
    "        self.add_module('final_layer', head)",
    "",
    "",
    "class ShallowFBCSPNet(nn.Sequential):",
    "    '''braindecode.models.ShallowFBCSPNet (Schirrmeister et al. 2017), defaults as braindecode.'''",
    "",
    "    def __init__(self, n_chans, n_outputs, n_times, n_filters_time=40, filter_time_length=25, n_filters_spat=40,",
    "                 pool_time_length=75, pool_time_stride=15, batch_norm_alpha=0.1, drop_prob=0.5):",
    "        super().__init__()",
    "        self.add_module('ensuredims', Ensure4d())",
    "        self.add_module('dimshuffle', Rearrange('batch C T 1 -> batch 1 T C'))",
    "        self.add_module('conv_time_spat', CombinedConv(n_chans, n_filters_time, n_filters_spat, filter_time_length,",
    "                                                       bias_time=True, bias_spat=False))",
    "        self.add_module('bnorm', nn.BatchNorm2d(n_filters_spat, momentum=batch_norm_alpha, affine=True))",
    "        self.add_module('conv_nonlin_exp', Square())",
    "        self.add_module('pool', nn.AvgPool2d(kernel_size=(pool_time_length, 1), stride=(pool_time_stride, 1)))",
    "        self.add_module('pool_nonlin_exp', SafeLog())",
    "        self.add_module('drop', nn.Dropout(p=drop_prob))",
    "        t = (n_times - filter_time_length + 1 - pool_time_length) // pool_time_stride + 1",
    "        head = nn.Sequential()",
    "        head.add_module('conv_classifier', nn.Conv2d(n_filters_spat, n_outputs, (t, 1), bias=True))",
    "        head.add_module('squeeze', SqueezeFinalOutput())",
    "        self.add_module('final_layer', head)",
    "",
    "",
    "class Deep4Net(nn.Sequential):",
    "    '''braindecode.models.Deep4Net (Schirrmeister et al. 2017), defaults as braindecode, including its",
    "    shrinking of kernel and pool sizes when n_times is below the minimum (not applied to the first",
    "    temporal kernel, which CombinedConv receives unscaled).'''",
    "",
    "    def __init__(self, n_chans, n_outputs, n_times, n_filters_time=25, n_filters_spat=25, filter_time_length=10,",
    "                 pool_time_length=3, pool_time_stride=3, n_filters_2=50, filter_length_2=10, n_filters_3=100,",
    "                 filter_length_3=10, n_filters_4=200, filter_length_4=10, drop_prob=0.5, batch_norm_alpha=0.1):",
    "        super().__init__()",
    "        min_len = 1",
    "        for fl in (filter_length_4, filter_length_3, filter_length_2, filter_time_length):",
    "            min_len = pool_time_stride * (min_len - 1) + pool_time_length",
    "            min_len = min_len + fl - 1",
    "        lengths = [filter_length_2, filter_length_3, filter_length_4]",
    "        pool_len, pool_stride = pool_time_length, pool_time_stride",
    "        if n_times < min_len:",
    "            s = n_times / min_len",
    "            pool_len = max(1, int(pool_time_length * s))",
    "            pool_stride = max(1, int(pool_time_stride * s))",
    "            lengths = [max(1, int(fl * s)) for fl in lengths]",
    "        self.add_module('ensuredims', Ensure4d())",
    "        self.add_module('dimshuffle', Rearrange('batch C T 1 -> batch 1 T C'))",
    "        self.add_module('conv_time_spat', CombinedConv(n_chans, n_filters_time, n_filters_spat, filter_time_length,",
    "                                                       bias_time=True, bias_spat=False))",
    "        self.add_module('bnorm', nn.BatchNorm2d(n_filters_spat, momentum=batch_norm_alpha, affine=True, eps=1e-5))",
    "        self.add_module('conv_nonlin', nn.ELU())",
    "        self.add_module('pool', nn.MaxPool2d(kernel_size=(pool_len, 1), stride=(pool_stride, 1)))",
    "        self.add_module('pool_nonlin', nn.Identity())",
    "        t = (n_times - filter_time_length + 1 - pool_len) // pool_stride + 1",
    "        n_before = n_filters_spat",
    "        for nr, (nf, fl) in enumerate(zip((n_filters_2, n_filters_3, n_filters_4), lengths), start=2):",
    "            self.add_module('drop_%d' % nr, nn.Dropout(p=drop_prob))",
    "            self.add_module('conv_%d' % nr, nn.Conv2d(n_before, nf, (fl, 1), stride=(1, 1), bias=False))",
    "            self.add_module('bnorm_%d' % nr, nn.BatchNorm2d(nf, momentum=batch_norm_alpha, affine=True, eps=1e-5))",
    "            self.add_module('nonlin_%d' % nr, nn.ELU())",
    "            self.add_module('pool_%d' % nr, nn.MaxPool2d(kernel_size=(pool_len, 1), stride=(pool_stride, 1)))",
    "            self.add_module('pool_nonlin_%d' % nr, nn.Identity())",
    "            t = (t - fl + 1 - pool_len) // pool_stride + 1",
    "            n_before = nf",
    "        head = nn.Sequential()",
    "        head.add_module('conv_classifier', nn.Conv2d(n_filters_4, n_outputs, (t, 1), bias=True))",
    "        head.add_module('squeeze', SqueezeFinalOutput())",
    "        self.add_module('final_layer', head)",
    "",
    "",
    "class _TemporalBlock(nn.Module):",
    "    def __init__(self, n_inputs, n_outputs, kernel_size, dilation, drop_prob):",
    "        super().__init__()",
    "        padding = (kernel_size - 1) * dilation",
    "        self.conv1 = weight_norm(nn.Conv1d(n_inputs, n_outputs, kernel_size, padding=padding, dilation=dilation))",
    "        self.chomp1 = Chomp1d(padding)",
    "        self.relu1 = nn.ReLU()",
    "        self.dropout1 = nn.Dropout2d(drop_prob)",
    "        self.conv2 = weight_norm(nn.Conv1d(n_outputs, n_outputs, kernel_size, padding=padding, dilation=dilation))",
    "        self.chomp2 = Chomp1d(padding)",
    "        self.relu2 = nn.ReLU()",
    "        self.dropout2 = nn.Dropout2d(drop_prob)",
    "        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None",
    "        self.relu = nn.ReLU()",
    "",
    "    def forward(self, x):",
    "        out = self.dropout1(self.relu1(self.chomp1(self.conv1(x))))",
    "        out = self.dropout2(self.relu2(self.chomp2(self.conv2(out))))",
    "        res = x if self.downsample is None else self.downsample(x)",
    "        return self.relu(out + res)",
    "",
    "",
    "class _FinalLayer(nn.Module):",
    "    def __init__(self, in_features, out_features):",
    "        super().__init__()",
    "        self.fc = nn.Linear(in_features, out_features)",
    "        self.squeeze = SqueezeFinalOutput()",
    "",
    "    def forward(self, x, batch_size, time_size, min_len):",
    "        fc_out = self.fc(x.view(batch_size * time_size, x.size(2)))",
    "        fc_out = fc_out.view(batch_size, time_size, fc_out.size(1))",
    "        out_size = 1 + max(0, time_size - min_len)",
    "        out = fc_out[:, -out_size:, :].transpose(1, 2)",
    "        return self.squeeze(out[:, :, :, None])",
    "",
    "",
    "class TCN(nn.Module):",
    "    def __init__(self, n_chans, n_outputs, n_blocks=3, n_filters=30, kernel_size=5, drop_prob=0.5):",
    "        super().__init__()",
    "        self.ensuredims = Ensure4d()",
    "        t_blocks = nn.Sequential()",
    "        for i in range(n_blocks):",
    "            t_blocks.add_module('temporal_block_%d' % i,",
    "                                _TemporalBlock(n_chans if i == 0 else n_filters, n_filters, kernel_size, 2 ** i,",
    "                                               drop_prob))",
    "        self.temporal_blocks = t_blocks",
    "        self.final_layer = _FinalLayer(n_filters, n_outputs)",
    "        self.min_len = 1 + sum(2 * (kernel_size - 1) * 2 ** i for i in range(n_blocks))",
    "",
    "    def forward(self, x):",
    "        x = self.ensuredims(x)",
    "        batch_size, _, time_size, _ = x.size()",
    "        x = self.temporal_blocks(x.squeeze(3))",
    "        x = x.transpose(1, 2).contiguous()",
    "        return self.final_layer(x, batch_size, time_size, self.min_len)",
    "",
    "",
    "class BDTCN(nn.Module):",
    "    '''braindecode.models.BDTCN (Gemein et al. 2020): TCN, then the mean over the kept time steps.'''",
    "",
    "    def __init__(self, n_chans, n_outputs, n_times, n_blocks=3, n_filters=30, kernel_size=5, drop_prob=0.5):",
    "        super().__init__()",
    "        self.base_tcn = TCN(n_chans, n_outputs, n_blocks, n_filters, kernel_size, drop_prob)",
    "        self.final_layer = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten())",
    "",
    "    def forward(self, x):",
    "        out = self.base_tcn(x)",
    "        if out.dim() == 2:  # one kept time step: SqueezeFinalOutput already dropped time",
    "            out = out[:, :, None]",
    "        return self.final_layer(out)",
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
    "        elif name in ('eegnetv4', 'eegnet'):",
    "            self.net = EEGNetv4(cfg['n_chans'], cfg['n_outputs'], cfg['n_times'], F1=cfg['F1'] or 8, D=cfg['D'] or 2,",
    "                                F2=cfg['F2'] or None)",
    "        elif name in ('shallowfbcspnet', 'shallow'):",
    "            f = cfg['n_filters'] or 40",
    "            self.net = ShallowFBCSPNet(cfg['n_chans'], cfg['n_outputs'], cfg['n_times'], n_filters_time=f,",
    "                                       filter_time_length=cfg['kernel_size'] or 25, n_filters_spat=f,",
    "                                       pool_time_length=cfg['pool_size'] or 75,",
    "                                       pool_time_stride=cfg['pool_stride'] or 15)",
    "        elif name in ('deep4net', 'deep4'):",
    "            self.net = Deep4Net(cfg['n_chans'], cfg['n_outputs'], cfg['n_times'])",
    "        elif name in ('bdtcn', 'tcn'):",
    "            self.net = BDTCN(cfg['n_chans'], cfg['n_outputs'], cfg['n_times'])",
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
static int submission_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

/* 1 when submission.py has a port of the model (zoo names and aliases). */
static int submission_model_known(const char *model) {
    static const char *const known[] = {"EEGNeX", "EEGNetv4", "EEGNet", "ShallowFBCSPNet", "shallow", "Deep4Net",
                                        "deep4", "BDTCN", "tcn", "cnn"};
    size_t i;
    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (submission_ieq(model, known[i])) return 1;
    return 0;
}

/* Checks that a checkpoint has a model submission.py can rebuild. */
static eegnn_status submission_check(const char *path) {
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
    else if (!submission_model_known(model))
        st = eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: model '%s' has no PyTorch port in submission.py "
                             "(EEGNeX, EEGNetv4, ShallowFBCSPNet, Deep4Net, BDTCN, cnn)", path, model);
    eegnn_safetensors_close(f);
    return st;
}

/* Copies a file byte for byte (atomically). */
static eegnn_status submission_copy(const char *src, const char *dst) {
    char *data = NULL;
    size_t len = 0;
    eegnn_status st = eegnn_read_file(src, &data, &len);
    if (st) return st;
    st = eegnn_write_file(dst, data, len);
    eegnn_free(data);
    return st;
}

eegnn_status eegnn_export_submission(const char *checkpoint_c1, const char *checkpoint_c2,
                                     const char *out_dir) {
    char path[4096];
    app_buf py = {0, 0, 0, 0};
    eegnn_status st;
    size_t i;
    if (!checkpoint_c1 || !checkpoint_c2 || !out_dir || !*out_dir)
        return eegnn_set_error(EEGNN_ERR_ARG, "export submission: two checkpoints and an output directory are needed");
    if ((st = submission_check(checkpoint_c1)) || (st = submission_check(checkpoint_c2))) return st;
    if ((st = eegnn_mkdirs(out_dir))) return st;
    snprintf(path, sizeof path, "%s/weights_challenge_1.safetensors", out_dir);
    if ((st = submission_copy(checkpoint_c1, path))) return st;
    snprintf(path, sizeof path, "%s/weights_challenge_2.safetensors", out_dir);
    if ((st = submission_copy(checkpoint_c2, path))) return st;
    for (i = 0; i < sizeof submission_py / sizeof submission_py[0]; i++)
        app_buf_printf(&py, "%s\n", submission_py[i]);
    if (py.failed) {
        app_buf_free(&py);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "export submission: out of memory");
    }
    snprintf(path, sizeof path, "%s/submission.py", out_dir);
    st = app_buf_write(&py, path);
    app_buf_free(&py);
    return st;
}
#endif /* EEGNN_APP_CHALLENGE_C */
