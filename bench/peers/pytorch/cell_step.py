"""PyTorch peer of the engine benchmark: the same PC-DARTS normal-cell weight step.

Written from the method as docs/method.md describes it, not from other projects' code:
14 mixed edges over the 8 DARTS ops, partial channels 1/K with channel shuffle, beta edge
weights, ReLU-1x1-BN pre-processing, batch norm without affine terms, binary convs as
ordinary convs behind quantizers (XNOR weights with mean-|W| scale, sign activations,
clipped straight-through estimators, sign(0) = +1; no ReLU in front of a sign).
Loss = mean(output * fixed target); SGD with momentum on the weights (alpha, beta held).

Run with Debian's interpreter (the package is not visible to other pythons):
  /usr/bin/python3 bench/peers/pytorch/cell_step.py --k 4 --binary 1 --threads 2 --steps 5
Prints one JSON line: {"median_ms", "times_ms", "cpu_ms", "threads", "k", "binary", "torch"}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
       'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5']


class SignSTE(torch.autograd.Function):
    """b = sign(x) with sign(0) = +1; backward dy * 1[|x| <= 1]."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class XnorWeights(torch.autograd.Function):
    """W_hat = a * sign(W), a = mean|W|; backward dW_hat * (1/n + a * 1[|W| <= 1])."""

    @staticmethod
    def forward(ctx, w):
        a = w.abs().mean()
        ctx.save_for_backward(w, a)
        return a * torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))

    @staticmethod
    def backward(ctx, g):
        w, a = ctx.saved_tensors
        return g * (1.0 / w.numel() + a * (w.abs() <= 1).to(g.dtype))


class Conv(nn.Module):
    """A conv that is binary when asked: sign on its input, XNOR on its weights."""

    def __init__(self, cin, cout, k, stride, dilation, groups, binary):
        super().__init__()
        self.binary = binary
        self.stride, self.dilation, self.groups = stride, dilation, groups
        self.padding = (k - 1) * dilation // 2
        self.weight = nn.Parameter(torch.randn(cout, cin // groups, k, k) * (2.0 / (k * k * cin // groups)) ** 0.5)

    def forward(self, x):
        w = self.weight
        if self.binary:
            x = SignSTE.apply(x)
            w = XnorWeights.apply(w)
        return F.conv2d(x, w, None, self.stride, self.padding, self.dilation, self.groups)


def pre_act(x, binary):
    return x if binary else F.relu(x)


class SepHalf(nn.Module):
    def __init__(self, c, k, stride, dilation, binary):
        super().__init__()
        self.binary = binary
        self.dw = Conv(c, c, k, stride, dilation, c, binary)
        self.pw = Conv(c, c, 1, 1, 1, 1, binary)
        self.bn = nn.BatchNorm2d(c, affine=False)

    def forward(self, x):
        return self.bn(self.pw(self.dw(pre_act(x, self.binary))))


class SepConv(nn.Module):
    def __init__(self, c, k, binary):
        super().__init__()
        self.a = SepHalf(c, k, 1, 1, binary)
        self.b = SepHalf(c, k, 1, 1, binary)

    def forward(self, x):
        return self.b(self.a(x))


class PoolBN(nn.Module):
    def __init__(self, c, kind):
        super().__init__()
        self.kind = kind
        self.bn = nn.BatchNorm2d(c, affine=False)

    def forward(self, x):
        if self.kind == 'max':
            return self.bn(F.max_pool2d(x, 3, 1, 1))
        return self.bn(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False))


def make_op(name, c, binary):
    if name == 'none':
        return None
    if name == 'skip_connect':
        return nn.Identity()
    if name == 'max_pool_3x3':
        return PoolBN(c, 'max')
    if name == 'avg_pool_3x3':
        return PoolBN(c, 'avg')
    if name.startswith('sep_conv'):
        return SepConv(c, int(name[-1]), binary)
    return SepHalf(c, int(name[-1]), 1, 2, binary)  # dil_conv: one dilated unit


def shuffle(x, groups):
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class MixedEdge(nn.Module):
    def __init__(self, c, k, binary):
        super().__init__()
        self.k = k
        self.ops = nn.ModuleList([m for m in (make_op(n, c // k, binary) for n in OPS) if m is not None])
        self.alive = [i for i, n in enumerate(OPS) if n != 'none']

    def forward(self, x, w):
        part = x.shape[1] // self.k
        xa, rest = x[:, :part], x[:, part:]
        y = sum(w[i] * op(xa) for i, op in zip(self.alive, self.ops))
        if self.k == 1:
            return y
        return shuffle(torch.cat([y, rest], 1), self.k)


class Cell(nn.Module):
    def __init__(self, c, k, binary):
        super().__init__()
        self.binary = binary
        self.pre = nn.ModuleList([nn.Sequential() for _ in range(2)])
        self.pre_conv = nn.ModuleList([Conv(c, c, 1, 1, 1, 1, binary) for _ in range(2)])
        self.pre_bn = nn.ModuleList([nn.BatchNorm2d(c, affine=False) for _ in range(2)])
        self.edges = nn.ModuleList([MixedEdge(c, k, binary) for node in range(4) for _ in range(node + 2)])
        self.alpha = 1e-3 * torch.randn(14, len(OPS))
        self.beta = 1e-3 * torch.randn(14)

    def forward(self, s0, s1):
        states = [self.pre_bn[i](self.pre_conv[i](pre_act(s, self.binary))) for i, s in enumerate((s0, s1))]
        weights = F.softmax(self.alpha, dim=-1)
        e = 0
        for node in range(4):
            n = node + 2
            beta = F.softmax(self.beta[e:e + n], dim=-1)
            total = 0
            for i in range(n):
                total = total + beta[i] * self.edges[e](states[i], weights[e])
                e += 1
            states.append(total)
        return torch.cat(states[2:], 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--k', type=int, default=4)
    p.add_argument('--binary', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--size', type=int, default=16)
    p.add_argument('--channels', type=int, default=16)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cell = Cell(args.channels, args.k, bool(args.binary))
    shape = (args.batch, args.channels, args.size, args.size)
    s0, s1 = torch.randn(shape), torch.randn(shape)
    target = torch.randn(args.batch, 4 * args.channels, args.size, args.size)
    opt = torch.optim.SGD(cell.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = (cell(s0, s1) * target).mean()
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up (oneDNN primitive creation)
    times = []
    cpu = []  # process CPU time of each step: robust to other processes sharing the cores
    for _ in range(args.steps):
        t = time.perf_counter()
        c = time.process_time()
        step()
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({'median_ms': round(med, 1), 'times_ms': [round(t) for t in times],
                      'cpu_ms': round(sorted(cpu)[len(cpu) // 2], 1), 'threads': args.threads,
                      'k': args.k, 'binary': args.binary, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
