/**
 * Maps a torchvision `state_dict` onto our builders' layers: a per-model translation of torchvision module
 * paths to our (systematic) layer names, then a per-layer-type conversion of the tensors:
 *   Conv2d weight [O,I,kh,kw] → HWIO (permutation [2,3,1,0]); depthwise [C,1,k,k] → [k,k,C,1];
 *   Linear [out,in] → [in,out]; BatchNorm weight/bias/running_mean/running_var → gamma/beta/moving_mean/
 *   moving_variance (`num_batches_tracked` is ignored). Any key without a layer, any layer without weights and
 *   any shape mismatch is an error that lists them all.
 */
import * as tf from '@tensorflow/tfjs';
import { setLayerWeights, shapeText } from './assign';
import type { TorchStateDict, TorchTensor } from './torch';

/** torchvision model names this module maps, with the registry builder and config each one needs. */
export const TORCHVISION_MODELS: Record<string, { builder: string; config: Record<string, unknown>; bnEpsilon?: number }> = {
  squeezenet1_0: { builder: 'squeezenet1_0', config: {} },
  squeezenet1_1: { builder: 'squeezenet1_1', config: {} },
  mobilenet_v2: { builder: 'mobilenet_v2', config: { padding: 'torch' } },
  shufflenet_v2_x0_5: { builder: 'shufflenet_v2', config: { width: 0.5 } },
  shufflenet_v2_x1_0: { builder: 'shufflenet_v2', config: { width: 1 } },
  shufflenet_v2_x1_5: { builder: 'shufflenet_v2', config: { width: 1.5 } },
  shufflenet_v2_x2_0: { builder: 'shufflenet_v2', config: { width: 2 } },
  resnet18: { builder: 'resnet18', config: {} },
  resnet50: { builder: 'resnet50', config: {} },
  alexnet: { builder: 'alexnet', config: {} },
  vgg16: { builder: 'vgg16', config: {} },
  // torchvision's GoogLeNet builds its BatchNorms with eps=0.001 (BasicConv2d).
  googlenet: { builder: 'googlenet', config: {}, bnEpsilon: 1e-3 },
};

/** PyTorch's default BatchNorm ε; our BN layers must use the file's ε for the import to be exact. */
export const TORCH_BN_EPSILON = 1e-5;

/** A translator: torchvision module path → our layer name; null = deliberately ignored (e.g. GoogLeNet's aux heads). */
type Translate = (module: string) => string | null | undefined;

/** Numeric sort of the distinct values of capture group 1 of `pattern` over `modules`. */
function indices(modules: string[], pattern: RegExp): number[] {
  const found = new Set<number>();
  for (const m of modules) {
    const match = pattern.exec(m);
    if (match) found.add(Number(match[1]));
  }
  return [...found].sort((a, b) => a - b);
}

/** Distinct prefixes (capture group 1 of `pattern`) of our layer names, in graph order. */
function ourBlocks(model: tf.LayersModel, pattern: RegExp): string[] {
  const seen: string[] = [];
  for (const l of model.layers) {
    const match = pattern.exec(l.name);
    if (match && !seen.includes(match[1])) seen.push(match[1]);
  }
  return seen;
}

function squeezenet(modules: string[]): Translate {
  // Fire modules sit at varying `features.N` indices (pools in between differ between 1.0 and 1.1): rank them.
  const fires = indices(modules, /^features\.(\d+)\.squeeze$/);
  return (m) => {
    if (m === 'features.0') return 'conv1';
    if (m === 'classifier.1') return 'conv10';
    const match = /^features\.(\d+)\.(squeeze|expand1x1|expand3x3)$/.exec(m);
    if (match && fires.includes(Number(match[1]))) return `fire${2 + fires.indexOf(Number(match[1]))}.${match[2]}`;
    return undefined;
  };
}

function mobilenetV2(modules: string[], model: tf.LayersModel): Translate {
  const features = indices(modules, /^features\.(\d+)\./);
  const last = features[features.length - 1];
  const blocks = ourBlocks(model, /^(stage\d+\.block\d+)\./);
  return (m) => {
    if (m === 'features.0.0') return 'stem.conv';
    if (m === 'features.0.1') return 'stem.bn';
    if (m === `features.${last}.0`) return 'head.conv.conv';
    if (m === `features.${last}.1`) return 'head.conv.bn';
    if (m === 'classifier.1') return 'head.fc';
    const match = /^features\.(\d+)\.conv\.(.+)$/.exec(m);
    if (!match) return undefined;
    const block = blocks[Number(match[1]) - 1];
    if (block === undefined) return undefined;
    // t = 1 blocks have no expansion: conv.0 = dw, conv.1 = project conv, conv.2 = its BN.
    const expanded = modules.includes(`features.${match[1]}.conv.3`);
    const table: Record<string, string> = expanded
      ? { '0.0': 'expand.conv', '0.1': 'expand.bn', '1.0': 'dw.conv', '1.1': 'dw.bn', '2': 'project.conv', '3': 'project.bn' }
      : { '0.0': 'dw.conv', '0.1': 'dw.bn', '1': 'project.conv', '2': 'project.bn' };
    const part = table[match[2]];
    return part === undefined ? undefined : `${block}.${part}`;
  };
}

function shufflenetV2(): Translate {
  const branch1: Record<string, string> = { '0': 'dw.conv', '1': 'dw.bn', '2': 'pw.conv', '3': 'pw.bn' };
  const branch2: Record<string, string> = { '0': 'pw1.conv', '1': 'pw1.bn', '3': 'dw.conv', '4': 'dw.bn', '5': 'pw2.conv', '6': 'pw2.bn' };
  return (m) => {
    const top: Record<string, string> = { 'conv1.0': 'conv1.conv', 'conv1.1': 'conv1.bn', 'conv5.0': 'conv5.conv', 'conv5.1': 'conv5.bn', fc: 'fc' };
    if (top[m] !== undefined) return top[m];
    const match = /^(stage\d)\.(\d+)\.(branch[12])\.(\d)$/.exec(m);
    if (!match) return undefined;
    const part = (match[3] === 'branch1' ? branch1 : branch2)[match[4]];
    return part === undefined ? undefined : `${match[1]}.unit${Number(match[2]) + 1}.${match[3]}.${part}`;
  };
}

function resnet(): Translate {
  return (m) => {
    if (m === 'conv1') return 'conv1.conv';
    if (m === 'bn1') return 'conv1.bn';
    if (m === 'fc') return 'fc';
    let match = /^(layer\d\.\d+)\.(conv|bn)(\d)$/.exec(m);
    if (match) return `${match[1]}.conv${match[3]}.${match[2] === 'conv' ? 'conv' : 'bn'}`;
    match = /^(layer\d\.\d+)\.downsample\.([01])$/.exec(m);
    if (match) return `${match[1]}.downsample.${match[2] === '0' ? 'conv' : 'bn'}`;
    return undefined;
  };
}

function sequentialFeatures(): Translate {
  return (m) => (/^features\.\d+$/.test(m) ? `${m}.conv` : /^classifier\.\d+$/.test(m) ? m : undefined);
}

function googlenet(): Translate {
  // torchvision's BasicConv2d names (`x.conv`, `x.bn`) are ours; the auxiliary classifiers (used in training
  // only, and present in the published file) have no counterpart and are ignored.
  return (m) => (/^aux[12]\./.test(m) ? null : m);
}

/** The translator of torchvision model `name` (see TORCHVISION_MODELS). */
function translatorFor(name: string, modules: string[], model: tf.LayersModel): Translate {
  if (name.startsWith('squeezenet')) return squeezenet(modules);
  if (name === 'mobilenet_v2') return mobilenetV2(modules, model);
  if (name.startsWith('shufflenet_v2')) return shufflenetV2();
  if (name.startsWith('resnet')) return resnet();
  if (name === 'alexnet' || name.startsWith('vgg')) return sequentialFeatures();
  if (name === 'googlenet') return googlenet();
  throw new Error(`no torchvision mapping for "${name}"; mapped models: ${Object.keys(TORCHVISION_MODELS).join(', ')}`);
}

/** Transposes a rows×cols row-major matrix in cache-sized tiles (strided reads of a 400 MB matrix thrash otherwise). */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const tile = 64;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(r0 + tile, rows);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const c1 = Math.min(c0 + tile, cols);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) out[c * rows + r] = data[r * cols + c];
      }
    }
  }
  return out;
}

/** Permutes a row-major array of `shape` by `perm` (output dim i = input dim perm[i]). */
export function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  if (perm.length !== shape.length || [...perm].sort().some((p, i) => p !== i)) {
    throw new Error(`permute: [${perm}] is not a permutation of the ${shape.length} axes of [${shape}]`);
  }
  const outShape = perm.map((p) => shape[p]);
  if (shape.length === 2 && perm[0] === 1) return { data: transpose2d(data, shape[0], shape[1]), shape: outShape };
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  // Pad to 4 axes (leading size-1 axes) so that one tight 4-deep loop handles every rank ≤ 4: the big
  // classifier matrices (VGG's 25088×4096) make a generic per-element index loop far too slow.
  if (shape.length <= 4) {
    const pad = 4 - shape.length;
    const dims = [...new Array<number>(pad).fill(1), ...outShape];
    const st = [...new Array<number>(pad).fill(0), ...perm.map((p) => inStrides[p])];
    const out = new Float32Array(data.length);
    let i = 0;
    for (let a = 0; a < dims[0]; a++) {
      for (let b = 0; b < dims[1]; b++) {
        for (let c = 0; c < dims[2]; c++) {
          let at = a * st[0] + b * st[1] + c * st[2];
          for (let d = 0; d < dims[3]; d++, at += st[3]) out[i++] = data[at];
        }
      }
    }
    return { data: out, shape: outShape };
  }
  const stridesInOutOrder = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let at = 0;
    for (let d = 0; d < index.length; d++) at += index[d] * stridesInOutOrder[d];
    out[i] = data[at];
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** Converts the torch tensors of one module into the weight list of our layer, or returns the reason it cannot. */
function convertModule(layer: tf.layers.Layer, params: Map<string, TorchTensor>, bnEpsilon: number): Array<{ data: Float32Array; shape: number[] }> | string {
  const kind = layer.getClassName();
  const get = (p: string): TorchTensor | undefined => params.get(p);
  const weight = get('weight');
  if (kind === 'BatchNormalization') {
    const eps = (layer.getConfig() as { epsilon?: number }).epsilon;
    if (eps === undefined || Math.abs(eps - bnEpsilon) > 1e-12) {
      return `BN ε is ${eps} but the torchvision model uses ${bnEpsilon} (build the model with its torch options)`;
    }
    const parts = ['weight', 'bias', 'running_mean', 'running_var'].map(get);
    if (parts.some((p) => p === undefined)) return 'a BatchNorm needs weight, bias, running_mean and running_var';
    return parts.map((p) => ({ data: p!.data, shape: p!.shape }));
  }
  if (weight === undefined) return 'no weight tensor';
  const bias = get('bias');
  const hasBias = layer.weights.length > 1;
  if (hasBias !== (bias !== undefined)) return `the file ${bias ? 'has' : 'has no'} bias but the layer ${hasBias ? 'has' : 'has no'} bias`;
  let kernel: { data: Float32Array; shape: number[] };
  if (kind === 'Conv2D' && weight.shape.length === 4) kernel = permute(weight.data, weight.shape, [2, 3, 1, 0]);
  else if (kind === 'DepthwiseConv2D' && weight.shape.length === 4) kernel = permute(weight.data, weight.shape, [2, 3, 0, 1]);
  else if (kind === 'Dense' && weight.shape.length === 2) kernel = permute(weight.data, weight.shape, [1, 0]);
  else return `a ${shapeText(weight.shape)} weight cannot load into a ${kind} layer`;
  const values = [kernel];
  if (bias !== undefined) values.push({ data: bias.data, shape: bias.shape });
  return values;
}

export interface TorchLoadReport {
  /** torchvision module → our layer, in file order. */
  assigned: Array<{ module: string; layer: string }>;
  /** Keys deliberately ignored (num_batches_tracked, auxiliary heads). */
  ignored: string[];
}

/**
 * Loads torchvision `state` for model `name` (a key of TORCHVISION_MODELS) into `model`. All checks run before
 * any weight is set; the error lists every unmatched key, unloaded layer and shape mismatch. `source` names the file.
 */
export function loadTorchStateDict(model: tf.LayersModel, name: string, state: TorchStateDict, source: string): TorchLoadReport {
  const modules = new Map<string, Map<string, TorchTensor>>();
  const ignored: string[] = [];
  for (const [key, tensor] of state) {
    const dot = key.lastIndexOf('.');
    const module = key.slice(0, dot);
    const param = key.slice(dot + 1);
    if (param === 'num_batches_tracked') {
      ignored.push(key);
      continue;
    }
    if (!modules.has(module)) modules.set(module, new Map());
    modules.get(module)!.set(param, tensor);
  }
  const translate = translatorFor(name, [...modules.keys()], model);
  const byName = new Map(model.layers.map((l) => [l.name, l] as [string, tf.layers.Layer]));
  const problems: string[] = [];
  const unmatched: string[] = [];
  const plan: Array<{ module: string; layer: tf.layers.Layer; values: Array<{ data: Float32Array; shape: number[] }> }> = [];
  for (const [module, params] of modules) {
    const target = translate(module);
    if (target === null) {
      ignored.push(...[...params.keys()].map((p) => `${module}.${p}`));
      continue;
    }
    const layer = target === undefined ? undefined : byName.get(target);
    if (layer === undefined || layer.weights.length === 0) {
      unmatched.push(`${module} (${[...params.keys()].join('/')}${target ? ` → no layer "${target}"` : ''})`);
      continue;
    }
    const values = convertModule(layer, params, TORCHVISION_MODELS[name]?.bnEpsilon ?? TORCH_BN_EPSILON);
    if (typeof values === 'string') {
      problems.push(`${module} → "${layer.name}": ${values}`);
      continue;
    }
    const want = layer.weights.map((w) => shapeText(w.shape as number[]));
    const got = values.map((v) => shapeText(v.shape));
    if (want.join(' ') !== got.join(' ')) {
      problems.push(`${module} → "${layer.name}": shapes ${got.join(' ')} vs the layer's ${want.join(' ')}`);
      continue;
    }
    plan.push({ module, layer, values });
  }
  const loaded = new Set(plan.map((p) => p.layer.name));
  const mapped = new Set([...modules.keys()].map((m) => translate(m)).filter((t): t is string => typeof t === 'string'));
  const unloaded = model.layers.filter((l) => l.weights.length > 0 && !loaded.has(l.name) && !mapped.has(l.name)).map((l) => l.name);
  if (problems.length + unmatched.length + unloaded.length > 0) {
    const list = (items: string[]): string => `${items.slice(0, 10).join('; ')}${items.length > 10 ? `; … (${items.length} in all)` : ''}`;
    throw new Error(
      `${source} does not fit model "${model.name}" as torchvision ${name} (a different architecture or width?). ` +
        (problems.length ? `Mismatches (${problems.length}): ${list(problems)}. ` : '') +
        (unmatched.length ? `Keys without a layer (${unmatched.length}): ${list(unmatched)}. ` : '') +
        (unloaded.length ? `Layers the file does not fill (${unloaded.length}): ${list(unloaded)}.` : ''),
    );
  }
  for (const { module, layer, values } of plan) setLayerWeights(layer, values, `${source}: ${module}`);
  return { assigned: plan.map((p) => ({ module: p.module, layer: p.layer.name })), ignored };
}
