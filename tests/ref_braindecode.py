"""PyTorch ports of braindecode's CNN models, for tests/test_braindecode.c.

Usage: /usr/bin/python3 tests/ref_braindecode.py OUTDIR

braindecode is not installed here, so the models are written out from
braindecode's source (braindecode/models/{eegnex,eegnet,shallow_fbcsp,deep4,
tcn}.py and braindecode/modules/*.py): same module tree, so the same
state_dict keys and shapes, and the same forward computation. Each port's
trainable-parameter count at n_chans=129, n_outputs=1, n_times=200 must equal
the count measured with braindecode itself (REFERENCE.md); the script exits
non-zero otherwise.

Deliberate difference: braindecode's EEGNet (and EEGConformer) run one
forward pass in train mode inside __init__ to infer the classifier size,
which updates the BatchNorm running statistics once at construction. The
ports (and eegnn) do not; the running statistics written here are the ones
the C test loads, so the comparison does not depend on it.

PyTorch 1.13 has no torch.nn.utils.parametrizations.weight_norm, so BDTCN's
weight normalisation is registered here as the same two-tensor
parametrization (original0 = g, original1 = v), which gives braindecode's
current state_dict keys.

For each model M in (eegnex, eegnet, shallow, deep4, bdtcn) and variant V in
(n1: n_outputs 1, n4: n_outputs 4), at batch 4 x 129 channels x 200 samples,
writes into OUTDIR:
  x.npy                          input (4, 129, 200)
  M_V_y.npy                      regression target (4, n_outputs)
  M_V_keys.txt                   state_dict keys, one per line (params then buffers)
  M_V_sd__<key>.npy              state_dict tensors (num_batches_tracked left out)
  M_V_out_eval.npy               eval-mode output with those tensors
  M_V_out_train.npy              train-mode output (dropout probability 0)
  M_V_grad__<key>.npy            d mse_loss(out_train, y) / d parameter
  M_V_after__<key>.npy           buffers after the train-mode forward
  param_counts.txt               "<model> <count>" at 129 x 200, n_outputs 1
and the same files for EEGNeX at batch 5 (x5.npy, eegnex_b5_*).
"""
import os
import warnings
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrize import register_parametrization

REFERENCE_COUNTS = {"eegnex": 62353, "eegnet": 3265, "shallow": 207801, "deep4": 223051, "bdtcn": 46141}
B, C, T = 4, 129, 200
B5 = 5  # odd batch for EEGNeX


# ---- braindecode.modules -----------------------------------------------------------------------

class MaxNormParametrize(nn.Module):
    """braindecode.modules.parametrization.MaxNormParametrize: renorm(p=2, dim=0)."""

    def __init__(self, max_norm=1.0):
        super().__init__()
        self.max_norm = max_norm

    def forward(self, X):
        return X.renorm(p=2, dim=0, maxnorm=self.max_norm)


class Conv2dWithConstraint(nn.Conv2d):
    def __init__(self, *args, max_norm=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_norm = max_norm
        nn.init.xavier_uniform_(self.weight, gain=1)
        register_parametrization(self, "weight", MaxNormParametrize(self.max_norm))


class LinearWithConstraint(nn.Linear):
    def __init__(self, *args, max_norm=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_norm = max_norm
        register_parametrization(self, "weight", MaxNormParametrize(self.max_norm))


class WeightNorm(nn.Module):
    """torch.nn.utils.parametrizations.weight_norm's parametrization (dim 0)."""

    def forward(self, weight_g, weight_v):
        return torch._weight_norm(weight_v, weight_g, 0)

    def right_inverse(self, weight):
        return torch.norm_except_dim(weight, 2, 0), weight


def weight_norm(module):
    register_parametrization(module, "weight", WeightNorm(), unsafe=True)
    return module


class Rearrange(nn.Module):
    """einops Rearrange for the few patterns the models use."""

    def __init__(self, pattern):
        super().__init__()
        self.pattern = pattern

    def forward(self, x):
        if self.pattern == "batch ch time -> batch 1 ch time":
            return x.unsqueeze(1)
        if self.pattern == "batch ch t 1 -> batch 1 ch t":
            return x.permute(0, 3, 1, 2)
        if self.pattern == "batch C T 1 -> batch 1 T C":
            return x.permute(0, 3, 2, 1)
        if self.pattern == "batch x y z -> batch x z y":
            return x.permute(0, 1, 3, 2)
        raise ValueError(self.pattern)


class Ensure4d(nn.Module):
    def forward(self, x):
        while len(x.shape) < 4:
            x = x.unsqueeze(-1)
        return x


class SqueezeFinalOutput(nn.Module):
    def forward(self, x):
        assert x.size()[3] == 1
        x = x[:, :, :, 0]
        if x.size()[2] == 1:
            x = x[:, :, 0]
        return x


class Square(nn.Module):
    def forward(self, x):
        return x * x


class SafeLog(nn.Module):
    def __init__(self, epsilon=1e-6):
        super().__init__()
        self.epsilon = epsilon

    def forward(self, x):
        return torch.log(torch.clamp(x, min=self.epsilon))


class CombinedConv(nn.Module):
    def __init__(self, in_chans, n_filters_time=40, n_filters_spat=40, filter_time_length=25,
                 bias_time=True, bias_spat=True):
        super().__init__()
        self.bias_time = bias_time
        self.bias_spat = bias_spat
        self.conv_time = nn.Conv2d(1, n_filters_time, (filter_time_length, 1), bias=bias_time, stride=1)
        self.conv_spat = nn.Conv2d(n_filters_time, n_filters_spat, (1, in_chans), bias=bias_spat, stride=1)

    def forward(self, x):
        combined_weight = (self.conv_time.weight * self.conv_spat.weight.permute(1, 0, 2, 3)).sum(0).unsqueeze(1)
        bias = None
        if self.bias_time:
            bias = self.conv_spat.weight.squeeze().sum(-1).mm(self.conv_time.bias.unsqueeze(-1)).squeeze()
        if self.bias_spat:
            bias = self.conv_spat.bias if bias is None else bias + self.conv_spat.bias
        return F.conv2d(x, weight=combined_weight, bias=bias, stride=(1, 1))


class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, : -self.chomp_size].contiguous()


def glorot_weight_zero_bias(model):
    """braindecode.functional.glorot_weight_zero_bias: Xavier-uniform weights, zero biases, BatchNorm weight 1."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.constant_(module.weight, 1)
            nn.init.constant_(module.bias, 0)
        elif isinstance(module, (nn.Conv2d, nn.Linear)):
            if hasattr(module, "parametrizations"):
                nn.init.xavier_uniform_(module.parametrizations.weight.original, gain=1)
            else:
                nn.init.xavier_uniform_(module.weight, gain=1)
            if module.bias is not None:
                nn.init.constant_(module.bias, 0)


# ---- models -------------------------------------------------------------------------------------

class EEGNeX(nn.Module):
    """braindecode.models.EEGNeX (Chen et al. 2024), defaults as braindecode."""

    def __init__(self, n_chans, n_outputs, n_times, drop_prob=0.5, filter_1=8, filter_2=32, depth_multiplier=2,
                 kernel_block_1_2=64, kernel_block_4=16, dilation_block_4=2, avg_pool_block4=4,
                 kernel_block_5=16, dilation_block_5=4, avg_pool_block5=8, max_norm_conv=1.0,
                 max_norm_linear=0.25):
        super().__init__()
        filter_3 = filter_2 * depth_multiplier
        in_features = filter_1 * (n_times // filter_2)
        self.block_1 = nn.Sequential(
            Rearrange("batch ch time -> batch 1 ch time"),
            nn.Conv2d(1, filter_1, (1, kernel_block_1_2), padding="same", bias=False),
            nn.BatchNorm2d(filter_1))
        self.block_2 = nn.Sequential(
            nn.Conv2d(filter_1, filter_2, (1, kernel_block_1_2), padding="same", bias=False),
            nn.BatchNorm2d(filter_2))
        self.block_3 = nn.Sequential(
            Conv2dWithConstraint(filter_2, filter_3, max_norm=max_norm_conv, kernel_size=(n_chans, 1),
                                 groups=filter_2, bias=False),
            nn.BatchNorm2d(filter_3), nn.ELU(),
            nn.AvgPool2d(kernel_size=(1, avg_pool_block4), padding=(0, 1)),
            nn.Dropout(p=drop_prob))
        self.block_4 = nn.Sequential(
            nn.Conv2d(filter_3, filter_2, (1, kernel_block_4), dilation=(1, dilation_block_4), padding="same",
                      bias=False),
            nn.BatchNorm2d(filter_2))
        self.block_5 = nn.Sequential(
            nn.Conv2d(filter_2, filter_1, (1, kernel_block_5), dilation=(1, dilation_block_5), padding="same",
                      bias=False),
            nn.BatchNorm2d(filter_1), nn.ELU(),
            nn.AvgPool2d(kernel_size=(1, avg_pool_block5), padding=(0, 1)),
            nn.Dropout(p=drop_prob), nn.Flatten())
        self.final_layer = LinearWithConstraint(in_features=in_features, out_features=n_outputs,
                                                max_norm=max_norm_linear)

    def forward(self, x):
        x = self.block_1(x)
        x = self.block_2(x)
        x = self.block_3(x)
        x = self.block_4(x)
        x = self.block_5(x)
        return self.final_layer(x)


class EEGNetv4(nn.Sequential):
    """braindecode.models.EEGNetv4 / EEGNet (Lawhern et al. 2018), conv classifier head."""

    def __init__(self, n_chans, n_outputs, n_times, drop_prob=0.25, F1=8, D=2, F2=None, kernel_length=64,
                 depthwise_kernel_length=16, pool1_kernel_size=4, pool2_kernel_size=8):
        super().__init__()
        F2 = F1 * D if F2 is None else F2
        mom, eps = 0.01, 1e-3
        self.add_module("ensuredims", Ensure4d())
        self.add_module("dimshuffle", Rearrange("batch ch t 1 -> batch 1 ch t"))
        self.add_module("conv_temporal", nn.Conv2d(1, F1, (1, kernel_length), bias=False,
                                                   padding=(0, kernel_length // 2)))
        self.add_module("bnorm_temporal", nn.BatchNorm2d(F1, momentum=mom, affine=True, eps=eps))
        self.add_module("conv_spatial", Conv2dWithConstraint(F1, F1 * D, (n_chans, 1), max_norm=1, bias=False,
                                                             groups=F1))
        self.add_module("bnorm_1", nn.BatchNorm2d(F1 * D, momentum=mom, affine=True, eps=eps))
        self.add_module("elu_1", nn.ELU())
        self.add_module("pool_1", nn.AvgPool2d(kernel_size=(1, pool1_kernel_size)))
        self.add_module("drop_1", nn.Dropout(p=drop_prob))
        self.add_module("conv_separable_depth", nn.Conv2d(F1 * D, F1 * D, (1, depthwise_kernel_length), bias=False,
                                                          groups=F1 * D,
                                                          padding=(0, depthwise_kernel_length // 2)))
        self.add_module("conv_separable_point", nn.Conv2d(F1 * D, F2, (1, 1), bias=False))
        self.add_module("bnorm_2", nn.BatchNorm2d(F2, momentum=mom, affine=True, eps=eps))
        self.add_module("elu_2", nn.ELU())
        self.add_module("pool_2", nn.AvgPool2d(kernel_size=(1, pool2_kernel_size)))
        self.add_module("drop_2", nn.Dropout(p=drop_prob))
        # braindecode infers the head size with a forward pass here (in train
        # mode, updating the BatchNorm statistics); the size is computed instead.
        t = n_times + 2 * (kernel_length // 2) - kernel_length + 1
        t = t // pool1_kernel_size
        t = t + 2 * (depthwise_kernel_length // 2) - depthwise_kernel_length + 1
        t = t // pool2_kernel_size
        head = nn.Sequential()
        head.add_module("conv_classifier", nn.Conv2d(F2, n_outputs, (1, t), bias=True))
        head.add_module("permute_back", Rearrange("batch x y z -> batch x z y"))
        head.add_module("squeeze", SqueezeFinalOutput())
        self.add_module("final_layer", head)
        glorot_weight_zero_bias(self)


class ShallowFBCSPNet(nn.Sequential):
    """braindecode.models.ShallowFBCSPNet (Schirrmeister et al. 2017), defaults as braindecode."""

    def __init__(self, n_chans, n_outputs, n_times, n_filters_time=40, filter_time_length=25, n_filters_spat=40,
                 pool_time_length=75, pool_time_stride=15, batch_norm_alpha=0.1, drop_prob=0.5):
        super().__init__()
        self.add_module("ensuredims", Ensure4d())
        self.add_module("dimshuffle", Rearrange("batch C T 1 -> batch 1 T C"))
        self.add_module("conv_time_spat", CombinedConv(n_chans, n_filters_time, n_filters_spat, filter_time_length,
                                                       bias_time=True, bias_spat=False))
        self.add_module("bnorm", nn.BatchNorm2d(n_filters_spat, momentum=batch_norm_alpha, affine=True))
        self.add_module("conv_nonlin_exp", Square())
        self.add_module("pool", nn.AvgPool2d(kernel_size=(pool_time_length, 1), stride=(pool_time_stride, 1)))
        self.add_module("pool_nonlin_exp", SafeLog())
        self.add_module("drop", nn.Dropout(p=drop_prob))
        t = (n_times - filter_time_length + 1 - pool_time_length) // pool_time_stride + 1
        head = nn.Sequential()
        head.add_module("conv_classifier", nn.Conv2d(n_filters_spat, n_outputs, (t, 1), bias=True))
        head.add_module("squeeze", SqueezeFinalOutput())
        self.add_module("final_layer", head)
        nn.init.xavier_uniform_(self.conv_time_spat.conv_time.weight, gain=1)
        nn.init.constant_(self.conv_time_spat.conv_time.bias, 0)
        nn.init.xavier_uniform_(self.conv_time_spat.conv_spat.weight, gain=1)
        nn.init.xavier_uniform_(self.final_layer.conv_classifier.weight, gain=1)
        nn.init.constant_(self.final_layer.conv_classifier.bias, 0)


class Deep4Net(nn.Sequential):
    """braindecode.models.Deep4Net (Schirrmeister et al. 2017), defaults as braindecode, including its
    shrinking of kernel and pool sizes when n_times is below the minimum (not applied to the first
    temporal kernel, which CombinedConv receives unscaled)."""

    def __init__(self, n_chans, n_outputs, n_times, n_filters_time=25, n_filters_spat=25, filter_time_length=10,
                 pool_time_length=3, pool_time_stride=3, n_filters_2=50, filter_length_2=10, n_filters_3=100,
                 filter_length_3=10, n_filters_4=200, filter_length_4=10, drop_prob=0.5, batch_norm_alpha=0.1):
        super().__init__()
        min_len = 1
        for fl in (filter_length_4, filter_length_3, filter_length_2, filter_time_length):
            min_len = pool_time_stride * (min_len - 1) + pool_time_length
            min_len = min_len + fl - 1
        lengths = [filter_length_2, filter_length_3, filter_length_4]
        pool_len, pool_stride = pool_time_length, pool_time_stride
        if n_times < min_len:
            s = n_times / min_len
            pool_len = max(1, int(pool_time_length * s))
            pool_stride = max(1, int(pool_time_stride * s))
            lengths = [max(1, int(fl * s)) for fl in lengths]
        self.add_module("ensuredims", Ensure4d())
        self.add_module("dimshuffle", Rearrange("batch C T 1 -> batch 1 T C"))
        self.add_module("conv_time_spat", CombinedConv(n_chans, n_filters_time, n_filters_spat, filter_time_length,
                                                       bias_time=True, bias_spat=False))
        self.add_module("bnorm", nn.BatchNorm2d(n_filters_spat, momentum=batch_norm_alpha, affine=True, eps=1e-5))
        self.add_module("conv_nonlin", nn.ELU())
        self.add_module("pool", nn.MaxPool2d(kernel_size=(pool_len, 1), stride=(pool_stride, 1)))
        self.add_module("pool_nonlin", nn.Identity())
        t = (n_times - filter_time_length + 1 - pool_len) // pool_stride + 1
        n_before = n_filters_spat
        for nr, (nf, fl) in enumerate(zip((n_filters_2, n_filters_3, n_filters_4), lengths), start=2):
            self.add_module("drop_%d" % nr, nn.Dropout(p=drop_prob))
            self.add_module("conv_%d" % nr, nn.Conv2d(n_before, nf, (fl, 1), stride=(1, 1), bias=False))
            self.add_module("bnorm_%d" % nr, nn.BatchNorm2d(nf, momentum=batch_norm_alpha, affine=True, eps=1e-5))
            self.add_module("nonlin_%d" % nr, nn.ELU())
            self.add_module("pool_%d" % nr, nn.MaxPool2d(kernel_size=(pool_len, 1), stride=(pool_stride, 1)))
            self.add_module("pool_nonlin_%d" % nr, nn.Identity())
            t = (t - fl + 1 - pool_len) // pool_stride + 1
            n_before = nf
        head = nn.Sequential()
        head.add_module("conv_classifier", nn.Conv2d(n_filters_4, n_outputs, (t, 1), bias=True))
        head.add_module("squeeze", SqueezeFinalOutput())
        self.add_module("final_layer", head)
        for name, p in self.named_parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p, gain=1)
            elif name.endswith("bias"):
                nn.init.constant_(p, 0)


class _TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, dilation, drop_prob):
        super().__init__()
        padding = (kernel_size - 1) * dilation
        self.conv1 = weight_norm(nn.Conv1d(n_inputs, n_outputs, kernel_size, padding=padding, dilation=dilation))
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.dropout1 = nn.Dropout2d(drop_prob)
        self.conv2 = weight_norm(nn.Conv1d(n_outputs, n_outputs, kernel_size, padding=padding, dilation=dilation))
        self.chomp2 = Chomp1d(padding)
        self.relu2 = nn.ReLU()
        self.dropout2 = nn.Dropout2d(drop_prob)
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.dropout1(self.relu1(self.chomp1(self.conv1(x))))
        out = self.dropout2(self.relu2(self.chomp2(self.conv2(out))))
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class _FinalLayer(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.squeeze = SqueezeFinalOutput()

    def forward(self, x, batch_size, time_size, min_len):
        fc_out = self.fc(x.view(batch_size * time_size, x.size(2)))
        fc_out = fc_out.view(batch_size, time_size, fc_out.size(1))
        out_size = 1 + max(0, time_size - min_len)
        out = fc_out[:, -out_size:, :].transpose(1, 2)
        return self.squeeze(out[:, :, :, None])


class TCN(nn.Module):
    def __init__(self, n_chans, n_outputs, n_blocks=3, n_filters=30, kernel_size=5, drop_prob=0.5):
        super().__init__()
        self.ensuredims = Ensure4d()
        t_blocks = nn.Sequential()
        for i in range(n_blocks):
            t_blocks.add_module("temporal_block_%d" % i,
                                _TemporalBlock(n_chans if i == 0 else n_filters, n_filters, kernel_size, 2 ** i,
                                               drop_prob))
        self.temporal_blocks = t_blocks
        self.final_layer = _FinalLayer(n_filters, n_outputs)
        self.min_len = 1 + sum(2 * (kernel_size - 1) * 2 ** i for i in range(n_blocks))

    def forward(self, x):
        x = self.ensuredims(x)
        batch_size, _, time_size, _ = x.size()
        x = self.temporal_blocks(x.squeeze(3))
        x = x.transpose(1, 2).contiguous()
        return self.final_layer(x, batch_size, time_size, self.min_len)


class BDTCN(nn.Module):
    """braindecode.models.BDTCN (Gemein et al. 2020): TCN, then the mean over the kept time steps."""

    def __init__(self, n_chans, n_outputs, n_times, n_blocks=3, n_filters=30, kernel_size=5, drop_prob=0.5):
        super().__init__()
        self.base_tcn = TCN(n_chans, n_outputs, n_blocks, n_filters, kernel_size, drop_prob)
        self.final_layer = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten())

    def forward(self, x):
        out = self.base_tcn(x)
        if out.dim() == 2:  # one kept time step: SqueezeFinalOutput already dropped time
            out = out[:, :, None]
        return self.final_layer(out)


MODELS = {"eegnex": EEGNeX, "eegnet": EEGNetv4, "shallow": ShallowFBCSPNet, "deep4": Deep4Net, "bdtcn": BDTCN}


def perturb(model, gen):
    """Moves parameters and buffers off their initial values so that every term is exercised:
    BatchNorm affine parameters and running statistics random, max-norm rows on both sides
    of the bound, weight-norm magnitudes random."""
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                p.copy_(0.5 + torch.rand(p.shape, generator=gen))
            elif name.endswith("running_mean"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif name.endswith("parametrizations.weight.original"):
                mod_name = name[: -len(".parametrizations.weight.original")]
                max_norm = dict(model.named_modules())[mod_name].max_norm
                rows = p.reshape(p.shape[0], -1)
                norms = rows.norm(dim=1)
                target = torch.where(torch.arange(p.shape[0]) % 2 == 0, 2.0 * max_norm * torch.ones(1),
                                     0.5 * max_norm * torch.ones(1))
                rows.mul_((target / norms)[:, None])
            elif name.endswith("original0"):
                p.copy_(0.5 + torch.rand(p.shape, generator=gen))


def n_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def save(outdir, name, arr):
    np.save(os.path.join(outdir, name), np.ascontiguousarray(arr.detach().cpu().numpy().astype(np.float32)))


def dump(outdir, tag, model, x, y):
    """Writes the state_dict, eval and train outputs, gradients and updated buffers of model on x."""
    sd = model.state_dict()
    keys = [k for k in sd if not k.endswith("num_batches_tracked")]
    with open(os.path.join(outdir, tag + "_keys.txt"), "w") as f:
        f.write("".join(k + "\n" for k in keys))
    for k in keys:
        save(outdir, "%s_sd__%s.npy" % (tag, k), sd[k])
    save(outdir, tag + "_y.npy", y)

    model.eval()
    with torch.no_grad():
        save(outdir, tag + "_out_eval.npy", model(x))

    model.train()
    out = model(x)
    assert out.shape == y.shape, (tag, out.shape)
    save(outdir, tag + "_out_train.npy", out)
    F.mse_loss(out, y).backward()
    for k, p in model.named_parameters():
        save(outdir, "%s_grad__%s.npy" % (tag, k), p.grad)
    for k, b in model.named_buffers():
        if not k.endswith("num_batches_tracked"):
            save(outdir, "%s_after__%s.npy" % (tag, k), b)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "build/tests/braindecode"
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.manual_seed(20250)

    ok = True
    with open(os.path.join(outdir, "param_counts.txt"), "w") as f:
        for m, cls in MODELS.items():
            n = n_trainable(cls(n_chans=129, n_outputs=1, n_times=200))
            f.write("%s %d\n" % (m, n))
            print("%-8s %7d trainable parameters (braindecode: %d)" % (m, n, REFERENCE_COUNTS[m]))
            ok = ok and n == REFERENCE_COUNTS[m]

    gen = torch.Generator().manual_seed(7)
    x = torch.randn(B, C, T, generator=gen)
    save(outdir, "x.npy", x)
    for m, cls in MODELS.items():
        for variant, n_out in (("n1", 1), ("n4", 4)):
            tag = "%s_%s" % (m, variant)
            model = cls(n_chans=C, n_outputs=n_out, n_times=T, drop_prob=0.0)
            perturb(model, gen)
            dump(outdir, tag, model, x, torch.randn(B, n_out, generator=gen))
    # EEGNeX at an odd batch: its first blocks run in chunks of samples
    # (src/nn/eegnex_stem.c), so the batch statistics, the running statistics
    # and every gradient are checked with a last chunk shorter than the others
    x5 = torch.randn(B5, C, T, generator=gen)
    save(outdir, "x5.npy", x5)
    model = EEGNeX(n_chans=C, n_outputs=1, n_times=T, drop_prob=0.0)
    perturb(model, gen)
    dump(outdir, "eegnex_b5", model, x5, torch.randn(B5, 1, generator=gen))
    if not ok:
        print("parameter counts differ from braindecode's (REFERENCE.md)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
