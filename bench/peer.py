#!/usr/bin/python3
"""PyTorch peer of the compact-nets benchmark (issue 9).

Two peers (the `peerName` of bench lines):
  pytorch-graph  rebuilds OUR architecture layer for layer from the graph JSON that bench/run.ts exports
                 (bench/graph-spec.ts), so both sides time the same network; one generic module per layer class, NCHW;
  torchvision    torchvision's own model of the same architecture (job["torchvision"] = its name, random weights);
                 for inference both eager and TorchScript (traced, frozen) are timed and the faster one is reported.
Modes:
  peer.py --gemm --threads N                 peak fp32 GEMM MAC/s of torch.mm (large matrices) on N threads
  peer.py --job job.json                     times one model in one mode; prints one JSON line
Run with /usr/bin/python3 (Debian's torch 1.13). Peak RSS is the process's getrusage maxrss.
"""
import argparse, json, math, resource, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pad(size, k, s, d=1):
    """TensorFlow 'same' padding (before, after) for one axis: the extra pixel goes after."""
    eff = (k - 1) * d + 1
    out = math.ceil(size / s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


class TfConv(nn.Module):
    """Conv2D / DepthwiseConv2D / GroupConv2D with TF padding (asymmetric 'same' via F.pad)."""

    def __init__(self, cin, cout, k, s, d, groups, bias, padding, in_hw):
        super().__init__()
        pads = (0, 0, 0, 0)
        if padding == 'same':
            (t, b), (l, r) = same_pad(in_hw[0], k[0], s[0], d[0]), same_pad(in_hw[1], k[1], s[1], d[1])
            pads = (l, r, t, b)
        sym = pads[0] == pads[1] and pads[2] == pads[3]
        self.pre = None if sym else pads
        self.conv = nn.Conv2d(cin, cout, k, s, (pads[2], pads[0]) if sym else 0, d, groups, bias)

    def forward(self, x):
        return self.conv(x if self.pre is None else F.pad(x, self.pre))


class TfPool(nn.Module):
    def __init__(self, kind, k, s, padding, in_hw):
        super().__init__()
        self.kind, self.k, self.s = kind, k, s
        self.pads = None
        if padding == 'same':
            (t, b), (l, r) = same_pad(in_hw[0], k[0], s[0]), same_pad(in_hw[1], k[1], s[1])
            self.pads = (l, r, t, b)

    def forward(self, x):
        if self.kind == 'max':
            if self.pads is not None:
                x = F.pad(x, self.pads, value=float('-inf'))
            return F.max_pool2d(x, self.k, self.s)
        if self.pads is None:
            return F.avg_pool2d(x, self.k, self.s)
        # TF averages over the valid pixels only: divide by the pooled count of ones.
        ones = torch.ones_like(x[:1, :1])
        return F.avg_pool2d(F.pad(x, self.pads), self.k, self.s) / F.avg_pool2d(F.pad(ones, self.pads), self.k, self.s)


def shift_index(c, h, w, oh, ow, s, pad, dy, dx):
    """Flat gather index [C, OH·OW] into [H·W + 1] (last = zero slot) for per-channel integer shifts dy, dx (LongTensor [C])."""
    ho = torch.arange(oh).view(1, oh, 1) * s - pad + dy.view(c, 1, 1)
    wo = torch.arange(ow).view(1, 1, ow) * s - pad + dx.view(c, 1, 1)
    ok = (ho >= 0) & (ho < h) & (wo >= 0) & (wo < w)
    return torch.where(ok, ho * w + wo, torch.full_like(ho * wo, h * w)).view(c, oh * ow)


def gather_shift(x, idx, oh, ow):
    """Per-channel shift as ONE gather over [N, C, H·W + 1], like ours (shift-gather.ts)."""
    n, c, h, w = x.shape
    flat = torch.cat([x.reshape(n, c, h * w), x.new_zeros(n, c, 1)], 2)
    return torch.gather(flat, 2, idx.unsqueeze(0).expand(n, c, oh * ow)).view(n, c, oh, ow)


class FixedShift(nn.Module):
    """ShiftNet's shift: channel groups moved by the K×K grid of offsets (ours: shift.ts), zero-filled."""

    def __init__(self, c, k, dil, hw):
        super().__init__()
        r, n = k // 2, k * k
        offs = [((i // k - r) * dil, (i % k - r) * dil) for i in range(n)]
        per = [c // n + (1 if i < c % n else 0) for i in range(n)]
        dy = torch.tensor([o[0] for o, m in zip(offs, per) for _ in range(m)])
        dx = torch.tensor([o[1] for o, m in zip(offs, per) for _ in range(m)])
        self.register_buffer('idx', shift_index(c, hw[0], hw[1], hw[0], hw[1], 1, 0, dy, dx))
        self.hw = hw

    def forward(self, x):
        return gather_shift(x, self.idx, *self.hw)


class LearnedShift(nn.Module):
    """ActiveShift (bilinear, 4 gathers) or SparseShift (integer forward, bilinear offset gradient), offsets [C, 2]."""

    def __init__(self, c, hw, stride, pad, sparse):
        super().__init__()
        self.offsets = nn.Parameter(torch.empty(c, 2).uniform_(-1, 1))
        self.c, self.hw, self.s, self.pad, self.sparse = c, hw, stride, pad, sparse
        self.oh = (hw[0] + 2 * pad - 1) // stride + 1
        self.ow = (hw[1] + 2 * pad - 1) // stride + 1

    def bilinear(self, x, off):
        fl = torch.floor(off.detach())
        fx, fy = (off[:, 0] - fl[:, 0]).view(1, -1, 1, 1), (off[:, 1] - fl[:, 1]).view(1, -1, 1, 1)
        bx, by = fl[:, 0].long(), fl[:, 1].long()
        g = lambda i, j: gather_shift(x, shift_index(self.c, *self.hw, self.oh, self.ow, self.s, self.pad, by + i, bx + j), self.oh, self.ow)
        return (1 - fy) * ((1 - fx) * g(0, 0) + fx * g(0, 1)) + fy * ((1 - fx) * g(1, 0) + fx * g(1, 1))

    def forward(self, x):
        if not self.sparse:
            return self.bilinear(x, self.offsets)
        r = torch.round(self.offsets.detach()).long()
        y = gather_shift(x, shift_index(self.c, *self.hw, self.oh, self.ow, self.s, 0, r[:, 1], r[:, 0]), self.oh, self.ow)
        if not self.training:
            return y
        # Straight-through: value of the integer shift, offset gradient of the bilinear shift (x detached, as in SSL).
        soft = self.bilinear(x.detach(), self.offsets)
        return y + soft - soft.detach()


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def activation(name):
    return {'linear': None, 'relu': nn.ReLU(), 'relu6': nn.ReLU6(), 'sigmoid': nn.Sigmoid(), 'softmax': nn.Softmax(1),
            'tanh': nn.Tanh(), 'swish': nn.SiLU()}[name]


def make_layer(spec):
    """One nn.Module (or None = identity) per layer of our graph."""
    cls, cfg = spec['className'], spec['config']
    ins = spec['inputShapes']
    shp = ins[0] if ins else None
    hw = shp[:2] if shp and len(shp) == 3 else None
    if cls == 'InputLayer':
        return None
    if cls in ('Conv2D', 'DepthwiseConv2D', 'GroupConv2D'):
        cin = shp[2]
        k, s = pair(cfg['kernelSize']), pair(cfg['strides'])
        d = pair(cfg.get('dilationRate', 1))
        if cls == 'Conv2D':
            cout, groups = cfg['filters'], 1
        elif cls == 'DepthwiseConv2D':
            cout, groups = cin * cfg.get('depthMultiplier', 1), cin
        else:
            cout, groups = cfg['filters'], cfg['groups']
        conv = TfConv(cin, cout, k, s, d, groups, cfg.get('useBias', True), cfg['padding'], hw)
        act = activation(cfg.get('activation', 'linear'))
        return conv if act is None else nn.Sequential(conv, act)
    if cls == 'BatchNormalization':
        return nn.BatchNorm2d(shp[-1], eps=cfg['epsilon']) if len(shp) == 3 else nn.BatchNorm1d(shp[-1], eps=cfg['epsilon'])
    if cls == 'ReLU':
        mx = cfg.get('maxValue')
        return nn.ReLU() if mx is None else nn.Hardtanh(0.0, float(mx))
    if cls == 'Activation':
        return activation(cfg['activation'])
    if cls == 'GlobalAveragePooling2D':
        return Lambda(lambda x: x.mean((2, 3)))
    if cls == 'Flatten':
        return Lambda(lambda x: x.permute(0, 2, 3, 1).flatten(1) if x.dim() == 4 else x.flatten(1))
    if cls == 'Dropout':
        return nn.Dropout(cfg['rate'])
    if cls == 'Dense':
        lin = nn.Linear(shp[-1], cfg['units'], cfg.get('useBias', True))
        act = activation(cfg.get('activation', 'linear'))
        return lin if act is None else nn.Sequential(lin, act)
    if cls == 'ZeroPadding2D':
        (t, b), (l, r) = cfg['padding']
        return Lambda(lambda x: F.pad(x, (l, r, t, b)))
    if cls in ('MaxPooling2D', 'AveragePooling2D'):
        return TfPool('max' if cls == 'MaxPooling2D' else 'avg', pair(cfg['poolSize']), pair(cfg['strides']), cfg['padding'], hw)
    if cls == 'ChannelShuffle':
        g = cfg['groups']
        return Lambda(lambda x: x.view(x.shape[0], g, x.shape[1] // g, x.shape[2], x.shape[3]).transpose(1, 2).reshape(x.shape))
    if cls == 'ChannelSlice':
        a, n = cfg['start'], cfg['size']
        return Lambda(lambda x: x[:, a:a + n])
    if cls == 'Concatenate':
        return Lambda(lambda *xs: torch.cat(xs, 1))
    if cls == 'Add':
        return Lambda(lambda *xs: sum(xs[1:], xs[0]))
    if cls == 'Multiply':
        return Lambda(lambda *xs: math.prod(xs[1:], start=xs[0]))
    if cls == 'Shift':
        return FixedShift(shp[2], cfg['kernelSize'], cfg.get('dilation', 1), hw)
    if cls in ('ActiveShift', 'SparseShift'):
        return LearnedShift(shp[2], hw, cfg.get('stride', 1), cfg.get('padding', 0), cls == 'SparseShift')
    raise ValueError(f"peer.py: no PyTorch equivalent for layer class {cls} (layer {spec['name']}); add one to make_layer")


class GraphNet(nn.Module):
    """Our model's graph, executed in topological order (the export is already ordered)."""

    def __init__(self, graph):
        super().__init__()
        self.order = [(l['name'], l['inbound']) for l in graph['layers']]
        self.mods = nn.ModuleDict()
        self.key = {}
        for i, l in enumerate(graph['layers']):
            m = make_layer(l)
            self.key[l['name']] = f'l{i}'
            if m is not None:
                self.mods[f'l{i}'] = m
        self.output = graph['output']

    def forward(self, x):
        vals = {}
        for name, inbound in self.order:
            args = [vals[n] for n in inbound] if inbound else [x]
            k = self.key[name]
            vals[name] = self.mods[k](*args) if k in self.mods else args[0]
        return vals[self.output]


# torchvision constructors of the twins bench/run.ts may ask for (random weights; GoogLeNet without its auxiliary
# heads, which ours does not have and which eval mode skips anyway).
TORCHVISION = {
    'squeezenet1_0': lambda tvm: tvm.squeezenet1_0(),
    'squeezenet1_1': lambda tvm: tvm.squeezenet1_1(),
    'mobilenet_v2': lambda tvm: tvm.mobilenet_v2(),
    'shufflenet_v2_x0_5': lambda tvm: tvm.shufflenet_v2_x0_5(),
    'shufflenet_v2_x1_0': lambda tvm: tvm.shufflenet_v2_x1_0(),
    'shufflenet_v2_x1_5': lambda tvm: tvm.shufflenet_v2_x1_5(),
    'shufflenet_v2_x2_0': lambda tvm: tvm.shufflenet_v2_x2_0(),
    'resnet18': lambda tvm: tvm.resnet18(),
    'resnet50': lambda tvm: tvm.resnet50(),
    'alexnet': lambda tvm: tvm.alexnet(),
    'vgg16': lambda tvm: tvm.vgg16(),
    'googlenet': lambda tvm: tvm.googlenet(aux_logits=False, init_weights=True),
}


def torchvision_model(name):
    import torchvision.models as tvm
    if name not in TORCHVISION:
        raise ValueError(f'no torchvision twin "{name}"; known: {", ".join(TORCHVISION)}')
    return TORCHVISION[name](tvm)


def time_units(unit, warmup, repetitions):
    for _ in range(warmup):
        unit()
    ts = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        unit()
        ts.append(time.perf_counter() - t0)
    return ts


def gemm_peak(threads, n=2048, reps=5):
    """Peak fp32 multiply-accumulates per second of torch.mm on n×n matrices (median of reps, after warm-up)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        ts.append(time.perf_counter() - t0)
    return n ** 3 / statistics.median(ts)


def run_job(job):
    torch.set_num_threads(job['threads'])
    torch.manual_seed(0)
    twin = job.get('torchvision')
    net = torchvision_model(twin) if twin else GraphNet(job['graph'])
    b, r = job['batch'], job['resolution']
    x = torch.rand(b, 3, r, r)
    params = sum(p.numel() for p in net.parameters() if p.requires_grad)
    extra = {}
    if job['training']:
        net.train()
        classes = 1000 if twin else job['graph']['layers'][-1]['outputShape'][-1]  # torchvision twins: ImageNet heads
        y = torch.arange(b) % classes
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

        def unit():
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
    else:
        net.eval()

        def unit():
            with torch.no_grad():
                net(x)
    ts = time_units(unit, job['warmup'], job['repetitions'])
    if twin and not job['training']:
        # torchvision's deployment path: TorchScript (traced), frozen; the faster of the two is the peer's figure.
        with torch.no_grad():
            frozen = torch.jit.freeze(torch.jit.trace(net, x))

        def scripted():
            with torch.no_grad():
                frozen(x)
        ts_script = time_units(scripted, job['warmup'], job['repetitions'])
        extra = {'variant': 'eager', 'eagerSecondsMedian': statistics.median(ts),
                 'torchscriptSecondsMedian': statistics.median(ts_script)}
        if statistics.median(ts_script) < statistics.median(ts):
            ts, extra['variant'] = ts_script, 'torchscript-frozen'
    elif twin:
        extra = {'variant': 'eager'}
    return {'secondsMedian': statistics.median(ts), 'seconds': ts, 'trainableParams': params,
            'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 'torch': torch.__version__, **extra}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--gemm', action='store_true')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--size', type=int, default=2048)
    p.add_argument('--job')
    a = p.parse_args()
    if a.threads < 1:
        p.error(f'--threads {a.threads}: must be a positive integer')
    if a.gemm:
        print(json.dumps({'threads': a.threads, 'gemmMacsPerSec': gemm_peak(a.threads, a.size)}))
    elif a.job:
        with open(a.job) as f:
            job = json.load(f)
        try:
            print(json.dumps({'ok': True, **run_job(job)}))
        except Exception as e:  # reported in the JSON line, the orchestrator keeps going
            print(json.dumps({'ok': False, 'error': f'{type(e).__name__}: {e}'[:500],
                              'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
    else:
        p.error('give --gemm or --job FILE')


if __name__ == '__main__':
    main()
