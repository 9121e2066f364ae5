/**
 * The fixed part of an exported PyTorch file: quantizers, one class per op kind, the cell and the
 * network, and a weight reader. Nothing here depends on the space; pytorch.ts writes the space's
 * constants and op table after it. The Python mirrors runtime/supernet/discrete.ts (the evaluation
 * network) and runtime/engine/quantize.ts, norm.ts, padding.ts, pool.ts: the layout is NCHW
 * instead of NHWC, and every padding is TensorFlow's 'same' (asymmetric when the total is odd),
 * written out with F.pad because PyTorch's own `padding` is symmetric.
 */

/** Python source, no user-written text in it. */
export const PYTORCH_LIBRARY = String.raw`
import argparse
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- binarization
# Binary ops are ordinary convolutions behind quantizers: sign on the conv input, a scaled sign on
# the filter. Their gradients are clipped straight-through estimators (below), as the runtime
# trains with, not the (zero) derivative of sign.

def _sign(x):
    # sign(0) = +1, unlike torch.sign.
    return torch.ones_like(x).masked_fill(x < 0, -1.0)


class SignSTE(torch.autograd.Function):
    """b = sign(x); db/dx is taken as 1 where |x| <= 1 and 0 elsewhere."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _sign(x)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * (x.abs() <= 1).to(dy.dtype)


class XnorSTE(torch.autograd.Function):
    """XNOR-Net weights a * sign(W), a = mean |W| over the layer or per output channel (dim 0).

    Backward as the runtime trains: dL/dW = dL/dW_hat * (1/n + a * 1[|W| <= 1]), n = number of
    weights sharing a (XNOR-Net's estimator). This is not autograd of a * sign(W).
    """

    @staticmethod
    def forward(ctx, w, per_channel):
        a = w.abs().mean(dim=tuple(range(1, w.dim())), keepdim=True) if per_channel else w.abs().mean()
        ctx.save_for_backward(w, a)
        ctx.n = (w.numel() // w.shape[0] if w.shape[0] > 0 else 1) if per_channel else w.numel()
        return a * _sign(w)

    @staticmethod
    def backward(ctx, dy):
        w, a = ctx.saved_tensors
        return dy * (1.0 / ctx.n + a * (w.abs() <= 1).to(dy.dtype)), None


def _xnor(w, per_channel):
    a = w.abs().mean(dim=tuple(range(1, w.dim())), keepdim=True) if per_channel else w.abs().mean()
    return a * _sign(w)


def quantize_weights(w, b):
    """The weight quantizer of b; the output-channel axis is dim 0 in PyTorch's layouts."""
    # Without gradients (inference, ONNX export) the same values from plain ops.
    plain = not torch.is_grad_enabled()
    if b["weights"] == "xnor":
        return _xnor(w, b["scale"] == "channel") if plain else XnorSTE.apply(w, b["scale"] == "channel")
    if b["weights"] == "sign":
        return _sign(w) if plain else SignSTE.apply(w)
    return w


def quantize_activations(x, b):
    if b["activations"] != "sign":
        return x
    return _sign(x) if not torch.is_grad_enabled() else SignSTE.apply(x)


def pre_activation(x, b):
    # With sign activations there is no ReLU before a binary conv: sign(ReLU(x)) would be +1
    # everywhere; the sign is the non-linearity.
    return x if b["activations"] == "sign" else F.relu(x)


# ---------------------------------------------------------------- geometry

def _same(size, k_eff, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def pad_same(x, k_eff, stride, value=0.0):
    """TensorFlow's 'same' padding: the odd extra row / column goes after (bottom, right)."""
    top, bottom = _same(x.shape[2], k_eff, stride)
    left, right = _same(x.shape[3], k_eff, stride)
    if top or bottom or left or right:
        return F.pad(x, (left, right, top, bottom), value=value)
    return x


# ---------------------------------------------------------------- layers
# Every layer with weights knows the name its tensors have in the runtime (runtime_key) and converts
# between the runtime's layout (NHWC filters [k, k, Ci, Co]) and PyTorch's ([Co, Ci, k, k]).

class BinaryConv2d(nn.Module):
    """k x k conv, no bias; input and filter quantized as b says; zero padding after the sign."""

    def __init__(self, ci, co, k, stride, b, key):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(co, ci, k, k))
        nn.init.normal_(self.weight, 0.0, math.sqrt(2.0 / (k * k * ci)))
        self.k, self.stride, self.b, self.runtime_key = k, stride, b, key

    def forward(self, x):
        x = pad_same(quantize_activations(x, self.b), self.k, self.stride)
        return F.conv2d(x, quantize_weights(self.weight, self.b), stride=self.stride)

    def runtime_tensors(self, grad=False):
        w = self.weight.grad if grad else self.weight
        return {self.runtime_key: w.permute(2, 3, 1, 0)}

    def load_runtime(self, t):
        self.weight.data.copy_(t[self.runtime_key].permute(3, 2, 0, 1))


class SeparableLayer(nn.Module):
    """Depthwise k x k (dilation) then pointwise 1 x 1, both quantized; scale per input channel of
    the depthwise filter."""

    def __init__(self, c, k, stride, dilation, b, key):
        super().__init__()
        self.dw = nn.Parameter(torch.empty(c, 1, k, k))
        self.pw = nn.Parameter(torch.empty(c, c, 1, 1))
        nn.init.normal_(self.dw, 0.0, math.sqrt(2.0 / (k * k)))
        nn.init.normal_(self.pw, 0.0, math.sqrt(2.0 / c))
        self.k, self.stride, self.dilation, self.b, self.runtime_key = k, stride, dilation, b, key

    def forward(self, x):
        x = quantize_activations(x, self.b)
        x = pad_same(x, (self.k - 1) * self.dilation + 1, self.stride)
        x = F.conv2d(x, quantize_weights(self.dw, self.b), stride=self.stride, dilation=self.dilation, groups=x.shape[1])
        return F.conv2d(quantize_activations(x, self.b), quantize_weights(self.pw, self.b))

    def runtime_tensors(self, grad=False):
        dw, pw = (self.dw.grad, self.pw.grad) if grad else (self.dw, self.pw)
        return {self.runtime_key + ".dw": dw.permute(2, 3, 0, 1), self.runtime_key + ".pw": pw.permute(2, 3, 1, 0)}

    def load_runtime(self, t):
        self.dw.data.copy_(t[self.runtime_key + ".dw"].permute(2, 3, 0, 1))
        self.pw.data.copy_(t[self.runtime_key + ".pw"].permute(3, 2, 0, 1))


class BatchNorm(nn.BatchNorm2d):
    """Affine, running statistics, eps 1e-5, momentum 0.1 (the runtime uses PyTorch's convention)."""

    def __init__(self, c, key):
        super().__init__(c, eps=1e-5, momentum=0.1)
        self.runtime_key = key

    def runtime_tensors(self, grad=False):
        k = self.runtime_key
        if grad:
            return {k + ".gamma": self.weight.grad, k + ".beta": self.bias.grad}
        return {k + ".gamma": self.weight, k + ".beta": self.bias, k + ".runningMean": self.running_mean, k + ".runningVar": self.running_var}

    def load_runtime(self, t):
        k = self.runtime_key
        self.weight.data.copy_(t[k + ".gamma"])
        self.bias.data.copy_(t[k + ".beta"])
        self.running_mean.copy_(t[k + ".runningMean"])
        self.running_var.copy_(t[k + ".runningVar"])


class BinaryLinear(nn.Module):
    """The classifier: global-average-pooled features times quantized weights (scale per class);
    its input is not sign-quantized."""

    def __init__(self, ci, co, b, key):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(co, ci))
        self.bias = nn.Parameter(torch.zeros(co))
        nn.init.normal_(self.weight, 0.0, math.sqrt(2.0 / ci))
        self.b, self.runtime_key = b, key

    def forward(self, x):
        return F.linear(x, quantize_weights(self.weight, self.b), self.bias)

    def runtime_tensors(self, grad=False):
        w, bias = (self.weight.grad, self.bias.grad) if grad else (self.weight, self.bias)
        return {self.runtime_key + ".w": w.t(), self.runtime_key + ".b": bias}

    def load_runtime(self, t):
        self.weight.data.copy_(t[self.runtime_key + ".w"].t())
        self.bias.data.copy_(t[self.runtime_key + ".b"])


# ---------------------------------------------------------------- ops (one class per kind)

class ReLUConvBN(nn.Module):
    """kind conv, and the 1 x 1 cell pre-processing: pre-activation -> conv -> BN."""

    def __init__(self, ci, co, k, stride, b, key, bn_key):
        super().__init__()
        self.b = b
        self.conv = BinaryConv2d(ci, co, k, stride, b, key)
        self.bn = BatchNorm(co, bn_key)

    def forward(self, x):
        return self.bn(self.conv(pre_activation(x, self.b)))


class SepConv(nn.Module):
    """kind sep_conv: two [pre-activation -> separable -> BN] units, the first one strided."""

    def __init__(self, c, k, stride, dilation, b, key):
        super().__init__()
        self.b = b
        self.sep1 = SeparableLayer(c, k, stride, dilation, b, key + ".sep1")
        self.bn1 = BatchNorm(c, key + ".1.bn")
        self.sep2 = SeparableLayer(c, k, 1, dilation, b, key + ".sep2")
        self.bn2 = BatchNorm(c, key + ".2.bn")

    def forward(self, x):
        x = self.bn1(self.sep1(pre_activation(x, self.b)))
        return self.bn2(self.sep2(pre_activation(x, self.b)))


class DilConv(nn.Module):
    """kind dil_conv: one [pre-activation -> dilated separable -> BN] unit."""

    def __init__(self, c, k, stride, dilation, b, key):
        super().__init__()
        self.b = b
        self.sep = SeparableLayer(c, k, stride, dilation, b, key + ".sep")
        self.bn = BatchNorm(c, key + ".bn")

    def forward(self, x):
        return self.bn(self.sep(pre_activation(x, self.b)))


class MaxPool(nn.Module):
    """kind max_pool: k x k 'same' max pool (padding never wins), then BN; real-valued."""

    def __init__(self, c, k, stride, key):
        super().__init__()
        self.k, self.stride = k, stride
        self.bn = BatchNorm(c, key + ".bn")

    def forward(self, x):
        return self.bn(F.max_pool2d(pad_same(x, self.k, self.stride, float("-inf")), self.k, self.stride))


class AvgPool(nn.Module):
    """kind avg_pool: k x k 'same' average pool that leaves padding out of the count, then BN."""

    def __init__(self, c, k, stride, key):
        super().__init__()
        self.k, self.stride = k, stride
        self.bn = BatchNorm(c, key + ".bn")

    def forward(self, x):
        ones = torch.ones_like(x[:1, :1])
        total = F.avg_pool2d(pad_same(x, self.k, self.stride), self.k, self.stride, divisor_override=1)
        count = F.avg_pool2d(pad_same(ones, self.k, self.stride), self.k, self.stride, divisor_override=1)
        return self.bn(total / count)


class Identity(nn.Module):
    """kind skip at stride 1."""

    def forward(self, x):
        return x


class FactorizedReduce(nn.Module):
    """kind skip at stride 2, and the pre-processing after a reduction cell: two 1 x 1 convs, one on
    the even pixels and one on the odd pixels, concatenated, then BN. An odd size gets a zero row /
    column at the bottom / right first (before the sign, so it reads as +1 when binarized)."""

    def __init__(self, ci, co, b, key):
        super().__init__()
        half = (co + 1) // 2
        self.b = b
        self.a = BinaryConv2d(ci, half, 1, 1, b, key + "fr.a")
        self.c = BinaryConv2d(ci, co - half, 1, 1, b, key + "fr.b") if co - half > 0 else None
        self.bn = BatchNorm(co, key + "fr.bn")

    def forward(self, x):
        h = pre_activation(x, self.b)
        h = F.pad(h, (0, h.shape[3] % 2, 0, h.shape[2] % 2))
        even = self.a(h[:, :, 0::2, 0::2])
        if self.c is None:
            return self.bn(even)
        return self.bn(torch.cat([even, self.c(h[:, :, 1::2, 1::2])], 1))


class Zero(nn.Module):
    """kind zero (none): zeros of the output shape; no gradient flows through it."""

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        n, c, h, w = x.shape
        return x.new_zeros(n, c, -(-h // self.stride), -(-w // self.stride))


def make_op(kind, c, stride, b, key, kernel, dilation, repeat):
    """One edge's op: repeat copies of the primitive, only the first strided, under key + "r<i>"."""
    if kind == "zero":
        return Zero(stride)
    parts = []
    for r in range(repeat):
        s, name = (stride if r == 0 else 1), key + "r" + str(r)
        if kind == "skip":
            parts.append(Identity() if s == 1 else FactorizedReduce(c, c, b, name + "."))
        elif kind == "max_pool":
            parts.append(MaxPool(c, kernel, s, name))
        elif kind == "avg_pool":
            parts.append(AvgPool(c, kernel, s, name))
        elif kind == "conv":
            parts.append(ReLUConvBN(c, c, kernel, s, b, name + ".conv", name + ".bn"))
        elif kind == "dil_conv":
            parts.append(DilConv(c, kernel, s, dilation, b, name))
        elif kind == "sep_conv":
            parts.append(SepConv(c, kernel, s, dilation, b, name))
        else:
            raise ValueError("unknown op kind " + repr(kind))
    op = parts[0] if len(parts) == 1 else nn.Sequential(*parts)
    return Shortcut(op) if SHORTCUT and stride == 1 and kind in ("conv", "sep_conv", "dil_conv") else op


class Shortcut(nn.Module):
    """x + op(x): the real-valued identity shortcut around a binary conv op (binarize.shortcut)."""

    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, x):
        return x + self.op(x)


# ---------------------------------------------------------------- cell and network

class Cell(nn.Module):
    """A DARTS cell: the two inputs pre-processed to c channels, each node the sum of two edge ops
    on earlier states, the output the concatenation of the concat nodes. In a reduction cell the
    edges from the two inputs have stride 2."""

    def __init__(self, index, reduce, edges, concat, c, c_prev_prev, c_prev, reduction_prev):
        super().__init__()
        key = "c" + str(index) + "."
        pre = BINARIZE["preprocess"]
        if reduction_prev:
            self.pre0 = FactorizedReduce(c_prev_prev, c, pre, key + "pre0.")
        else:
            self.pre0 = ReLUConvBN(c_prev_prev, c, 1, 1, pre, key + "pre0.conv", key + "pre0.bn")
        self.pre1 = ReLUConvBN(c_prev, c, 1, 1, pre, key + "pre1.conv", key + "pre1.bn")
        self.inputs = [i for _, i in edges]
        self.concat = list(concat)
        self.ops = nn.ModuleList(
            OPS[name](c, 2 if reduce and i < 2 else 1, BINARIZE["ops"], key + "e" + str(e) + ".")
            for e, (name, i) in enumerate(edges)
        )

    def forward(self, s0, s1):
        states = [self.pre0(s0), self.pre1(s1)]
        for j in range(len(self.inputs) // 2):
            a, b = 2 * j, 2 * j + 1
            states.append(self.ops[a](states[self.inputs[a]]) + self.ops[b](states[self.inputs[b]]))
        return torch.cat([states[s] for s in self.concat], 1)


class Network(nn.Module):
    """Stem (3 x 3 conv, BN), the cells, global average pooling and the classifier."""

    def __init__(self, num_classes, in_channels):
        super().__init__()
        c = SUPERNET["channels"]
        stem_c = c * SUPERNET["stem_multiplier"]
        self.stem = BinaryConv2d(in_channels, stem_c, 3, 1, BINARIZE["stem"], "stem.conv")
        self.stem_bn = BatchNorm(stem_c, "stem.bn")
        cells, c_pp, c_p, reduction_prev = [], stem_c, stem_c, False
        for i in range(SUPERNET["cells"]):
            reduce = i in SUPERNET["reductions"]
            if reduce:
                c *= 2
            kind = "reduce" if reduce else "normal"
            concat = GENOTYPE[kind + "_concat"]
            cells.append(Cell(i, reduce, GENOTYPE[kind], concat, c, c_pp, c_p, reduction_prev))
            c_pp, c_p, reduction_prev = c_p, len(concat) * c, reduce
        self.cells = nn.ModuleList(cells)
        self.classifier = BinaryLinear(c_p, num_classes, BINARIZE["classifier"], "classifier")

    def forward(self, x):
        s0 = s1 = self.stem_bn(self.stem(x))
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1.mean((2, 3)))


def build_model(num_classes=None, in_channels=None):
    """The derived network, freshly initialized; defaults are the space's classes and channels."""
    return Network(NUM_CLASSES if num_classes is None else num_classes, INPUT_SHAPE[0] if in_channels is None else in_channels)


# ---------------------------------------------------------------- weights
# bnas evaluate --save writes safetensors (an 8-byte little-endian header length, a JSON header,
# then raw little-endian float32), read here with torch alone.

def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(name + ": only F32 tensors are supported")
        start, end = info["data_offsets"]
        raw = bytearray(data[8 + n + start:8 + n + end])
        t = torch.frombuffer(raw, dtype=torch.float32) if raw else torch.zeros(0)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def _keyed(model):
    return [m for m in model.modules() if hasattr(m, "runtime_key")]


def runtime_tensors(model, grad=False):
    """Every tensor (or gradient) under its runtime name, in the runtime's layout."""
    out = {}
    for m in _keyed(model):
        out.update(m.runtime_tensors(grad))
    return out


def load_weights(model, path):
    """Loads weights saved by bnas evaluate --save (or save_weights); every tensor must match."""
    tensors = read_safetensors(path)
    expected = runtime_tensors(model)
    missing = [k for k in expected if k not in tensors]
    unused = [k for k in tensors if k not in expected]
    if missing or unused:
        raise ValueError("the weights do not fit this network: missing " + str(missing[:5]) + ", unused " + str(unused[:5]))
    for k, t in expected.items():
        if tuple(tensors[k].shape) != tuple(t.shape):
            raise ValueError(k + ": shape " + str(tuple(tensors[k].shape)) + " in the file, " + str(tuple(t.shape)) + " in the network")
    with torch.no_grad():
        for m in _keyed(model):
            m.load_runtime(tensors)
    return model


def save_weights(model, path):
    """Writes the weights in the runtime's names and layout (what load_weights reads)."""
    write_safetensors(path, runtime_tensors(model))
`;

/** The `__main__` part: training on an image folder or a torchvision dataset. */
export const PYTORCH_MAIN = String.raw`

# ---------------------------------------------------------------- training

def _dataset(args, train, augment=True):
    import torchvision
    from torchvision import transforms

    c, h, w = INPUT_SHAPE
    steps = [transforms.Resize((h, w))]
    if c == 1:
        steps.append(transforms.Grayscale(1))
    if train and augment and "crop" in AUGMENT:
        steps.append(transforms.RandomCrop((h, w), padding=max(h // 8, 1)))
    if train and augment and "flip" in AUGMENT:
        steps.append(transforms.RandomHorizontalFlip())
    steps.append(transforms.ToTensor())
    tf = transforms.Compose(steps)
    if args.folder:
        sub = "train" if train else "test"
        import os
        root = os.path.join(args.folder, sub) if os.path.isdir(os.path.join(args.folder, sub)) else args.folder
        return torchvision.datasets.ImageFolder(root, transform=tf)
    cls = getattr(torchvision.datasets, args.torchvision)
    return cls(args.root, train=train, download=args.download, transform=tf)


def _normalizer(data, batch):
    # Per-channel mean and std of the training images, as the runtime normalizes.
    s, s2, n = 0.0, 0.0, 0
    for x, _ in torch.utils.data.DataLoader(data, batch_size=batch):
        s = s + x.sum((0, 2, 3))
        s2 = s2 + (x * x).sum((0, 2, 3))
        n += x.shape[0] * x.shape[2] * x.shape[3]
    mean = s / n
    std = (s2 / n - mean * mean).clamp_min(1e-12).sqrt()
    return lambda x: (x - mean[None, :, None, None]) / std[None, :, None, None]


def main():
    p = argparse.ArgumentParser(description="Train the exported network from scratch.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--folder", help="an image folder (class subfolders; train/ and test/ inside if present)")
    src.add_argument("--torchvision", help="a torchvision dataset class, e.g. MNIST, FashionMNIST, CIFAR10")
    p.add_argument("--root", default="data", help="where the torchvision dataset lives")
    p.add_argument("--download", action="store_true")
    p.add_argument("--epochs", type=int, default=TRAIN["epochs"])
    p.add_argument("--batch", type=int, default=TRAIN["batch"])
    p.add_argument("--lr", type=float, default=OPTIMIZER["lr"])
    p.add_argument("--seed", type=int, default=TRAIN["seed"])
    p.add_argument("--weights", help="start from these weights (bnas evaluate --save)")
    p.add_argument("--save", help="write the trained weights here (safetensors)")
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_data, test_data = _dataset(args, True), _dataset(args, False)
    classes = len(train_data.classes) if hasattr(train_data, "classes") else NUM_CLASSES
    model = build_model(num_classes=classes)
    if args.weights:
        load_weights(model, args.weights)
    norm = _normalizer(_dataset(args, True, augment=False), args.batch)
    o = OPTIMIZER
    if o["kind"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=tuple(o["betas"]), weight_decay=o["weight_decay"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=o["momentum"], weight_decay=o["weight_decay"])
    loader = torch.utils.data.DataLoader(train_data, batch_size=args.batch, shuffle=True, drop_last=True)
    for epoch in range(args.epochs):
        if o["schedule"] == "cosine":
            # Cosine from lr down to lr / 25, per epoch, as the runtime anneals.
            low = args.lr / 25
            for g in opt.param_groups:
                g["lr"] = low + 0.5 * (args.lr - low) * (1 + math.cos(math.pi * epoch / max(args.epochs, 1)))
        model.train()
        total, correct, n = 0.0, 0, 0
        for x, y in loader:
            logits = model(norm(x))
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            if o.get("grad_clip"):
                nn.utils.clip_grad_norm_(model.parameters(), o["grad_clip"])
            opt.step()
            total += loss.item() * x.shape[0]
            correct += (logits.argmax(1) == y).sum().item()
            n += x.shape[0]
        print("epoch %d/%d: loss %.4f, train acc %.2f%%" % (epoch + 1, args.epochs, total / max(n, 1), 100.0 * correct / max(n, 1)))
    model.eval()
    correct, n = 0, 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(test_data, batch_size=args.batch):
            correct += (model(norm(x)).argmax(1) == y).sum().item()
            n += x.shape[0]
    print("test accuracy %.2f%%" % (100.0 * correct / max(n, 1)))
    if args.save:
        save_weights(model, args.save)


if __name__ == "__main__":
    main()
`;
