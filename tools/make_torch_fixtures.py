#!/usr/bin/python3
"""Creates parity fixtures for the torchvision weight import (test/weights-torch.test.ts).

For each requested model: a RANDOMLY initialised torchvision model (fixed seed), its batch norms given
non-trivial running statistics and affine parameters, put in eval mode; its state_dict saved with torch.save
(`<name>.pth`), a fixed input batch (`<name>.input.bin`, float32 NCHW little-endian) and the model's logits
on it (`<name>.logits.bin`, float32 [N, classes]). `manifest.json` lists shapes. No pretrained weights
are involved. Run with Debian's interpreter: /usr/bin/python3 tools/make_torch_fixtures.py OUT_DIR name:res ... [misc]
"""
import json
import os
import sys

import torch
import torchvision.models as tvm

BUILDERS = {
    'squeezenet1_0': lambda: tvm.squeezenet1_0(),
    'squeezenet1_1': lambda: tvm.squeezenet1_1(),
    'mobilenet_v2': lambda: tvm.mobilenet_v2(),
    'shufflenet_v2_x0_5': lambda: tvm.shufflenet_v2_x0_5(),
    'shufflenet_v2_x1_0': lambda: tvm.shufflenet_v2_x1_0(),
    'shufflenet_v2_x1_5': lambda: tvm.shufflenet_v2_x1_5(),
    'shufflenet_v2_x2_0': lambda: tvm.shufflenet_v2_x2_0(),
    'resnet18': lambda: tvm.resnet18(),
    'resnet50': lambda: tvm.resnet50(),
    'alexnet': lambda: tvm.alexnet(),
    'vgg16': lambda: tvm.vgg16(),
    # torchvision's default keeps the auxiliary classifiers (as the published file does); eval mode ignores them.
    'googlenet': lambda: tvm.googlenet(aux_logits=True, init_weights=True),
}


def randomise_batch_norms(model, generator):
    """Gives every BN non-trivial statistics so that a wrong mapping of mean/var/gamma/beta shows in the logits."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(c, generator=generator) * 0.5 + 0.75)
            module.weight.data.copy_(torch.rand(c, generator=generator) * 0.5 + 0.75)
            module.bias.data.copy_(torch.randn(c, generator=generator) * 0.1)


def save_misc(out_dir):
    """A state_dict exercising the reader: a non-contiguous view, a storage offset, float64/float16/int64, a 0-d tensor.
    Expected values go to misc.json as plain lists (row-major)."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    state = {
        'transposed': base.t(),
        'offset_view': base[1:3, 2:5],
        'double': torch.linspace(-1, 1, 5, dtype=torch.float64),
        'half': torch.tensor([0.5, -2.25, 1e-3, 65504.0], dtype=torch.float16),
        'long': torch.tensor([[-3, 0], [7, 2**40]], dtype=torch.int64),
        'scalar': torch.tensor(3.5),
    }
    torch.save(state, os.path.join(out_dir, 'misc.pth'))
    expected = {k: {'shape': list(v.shape), 'values': v.double().flatten().tolist()} for k, v in state.items()}
    with open(os.path.join(out_dir, 'misc.json'), 'w') as f:
        json.dump(expected, f)


def main():
    if len(sys.argv) < 3:
        sys.exit('usage: make_torch_fixtures.py OUT_DIR name:resolution [name:resolution ...]; names: ' + ', '.join(BUILDERS))
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {}
    for spec in sys.argv[2:]:
        if spec == 'misc':
            save_misc(out_dir)
            continue
        name, res = spec.split(':')
        res = int(res)
        if name not in BUILDERS:
            sys.exit(f'unknown model {name}; known: {", ".join(BUILDERS)}')
        torch.manual_seed(0)
        model = BUILDERS[name]()
        generator = torch.Generator().manual_seed(1)
        with torch.no_grad():
            randomise_batch_norms(model, generator)
        model.eval()
        x = torch.randn(2, 3, res, res, generator=generator)
        with torch.no_grad():
            logits = model(x)
        if isinstance(logits, tuple):  # GoogLeNet outputs in training mode only; guard anyway
            logits = logits[0]
        torch.save(model.state_dict(), os.path.join(out_dir, f'{name}.pth'))
        x.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.input.bin'))
        logits.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.logits.bin'))
        manifest[name] = {'input': list(x.shape), 'logits': list(logits.shape), 'resolution': res}
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
