/**
 * Group convolution with real `groups` semantics (docs/sources.md §5.2; ShuffleNet / ResNeXt).
 *
 * tfjs-layers' `conv2d` ignores `groups` (TFJS-3900), so this layer stores ONE kernel of shape
 * [k, k, Cin/g, Cout] — exactly PyTorch's parameter count k²·Cin·Cout/g — and computes the output by
 * splitting the input channels into g contiguous groups, convolving group i with kernel slice
 * [.., .., Cin/g, i·Cout/g : (i+1)·Cout/g], and concatenating in group order (PyTorch's channel order).
 */
import * as tf from '@tensorflow/tfjs';
import type { CostAware } from '../cost-types';
import { groupConv2dNative } from '../kernels/conv';
import { BaseLayerArgs, channelsOf, convOutputLength, nhwcDims, requirePositiveInt, singleShape } from './validate';

/** TensorFlow padding modes supported by the layer ('same' pads asymmetrically at stride 2, like TF). */
export type GroupConvPadding = 'same' | 'valid';

/** A tfjs initializer object (the class itself is not exported by tfjs, so it is named through a factory). */
export type TfInitializer = ReturnType<typeof tf.initializers.zeros>;

/**
 * How to initialise a weight: a tfjs initializer factory name ('glorotUniform', 'heNormal', 'zeros', …),
 * an initializer object, or its serialized form `{className, config}` (what `getConfig()` writes).
 */
export type InitializerSpec = string | TfInitializer | { className: string; config: tf.serialization.ConfigDict };

/** Arguments of {@link GroupConv2D}. */
export interface GroupConv2DArgs extends BaseLayerArgs {
  /** Output channels Cout; must be divisible by `groups`. */
  filters: number;
  /** Square kernel side k (pixels). */
  kernelSize: number;
  /** Stride in both spatial axes. Default 1. */
  strides?: number;
  /** TensorFlow padding. Default 'same'. */
  padding?: GroupConvPadding;
  /** Number of groups g; must divide both Cin and Cout. g = 1 is an ordinary conv, g = Cin = Cout a depthwise conv. */
  groups: number;
  /** Adds a [Cout] bias. Default false (every survey network follows the conv with BN). */
  useBias?: boolean;
  /** Kernel initializer. Default 'glorotUniform' (tfjs' conv default). */
  kernelInitializer?: InitializerSpec;
  /** Layer name. */
  name?: string;
}

/** Resolves an {@link InitializerSpec} to a tfjs initializer object. */
export function resolveInitializer(spec: InitializerSpec, who: string): TfInitializer {
  if (typeof spec === 'string') {
    const factory = (tf.initializers as unknown as Record<string, unknown>)[spec];
    if (typeof factory !== 'function') {
      const known = Object.keys(tf.initializers).join(', ');
      throw new Error(`${who}: unknown initializer '${spec}'; use one of the tf.initializers factories: ${known}.`);
    }
    return (factory as (a: object) => TfInitializer)({});
  }
  if (typeof (spec as TfInitializer).apply === 'function') return spec as TfInitializer;
  const serialized = spec as { className: string; config: tf.serialization.ConfigDict };
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[serialized.className];
  if (entry === undefined) {
    throw new Error(`${who}: initializer class '${serialized.className}' is not registered with tf.serialization.`);
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, serialized.config) as unknown as TfInitializer;
}

/** Serializes an {@link InitializerSpec} for `getConfig()` (strings stay strings). */
export function serializeInitializer(spec: InitializerSpec): tf.serialization.ConfigDictValue {
  if (typeof spec === 'string') return spec;
  if (typeof (spec as TfInitializer).apply === 'function') {
    const init = spec as TfInitializer;
    return { className: init.getClassName(), config: init.getConfig() };
  }
  return spec as tf.serialization.ConfigDict;
}

/**
 * Pure grouped convolution. x: [N, H, W, Cin], kernel: [k, k, Cin/g, Cout] → [N, H′, W′, Cout], where group i
 * of the input (channels i·Cin/g …) is convolved with output channels i·Cout/g … (PyTorch order).
 */
export function groupConv2dTensor(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  strides: number = 1,
  padding: GroupConvPadding = 'same',
): tf.Tensor4D {
  const cin = x.shape[3];
  const [, , kin, cout] = kernel.shape;
  requirePositiveInt(groups, 'groupConv2dTensor: groups');
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new Error(`groupConv2dTensor: groups = ${groups} must divide input channels ${cin} and output channels ${cout}.`);
  }
  if (kin * groups !== cin) {
    throw new Error(
      `groupConv2dTensor: kernel input depth ${kin} × groups ${groups} must equal input channels ${cin}; ` +
        `the kernel shape is [k, k, Cin/g, Cout].`,
    );
  }
  return tf.tidy(() => {
    // wasm with the native addon: one in-place GEMM per group (native/src/conv.c), no split / concat.
    if (groups > 1) {
      const y = groupConv2dNative(x, kernel, groups, strides, padding);
      if (y !== null) return y;
    }
    if (groups === 1) return tf.conv2d(x, kernel, strides, padding) as tf.Tensor4D;
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const ks = tf.split(kernel, groups, 3) as tf.Tensor4D[];
    const ys = xs.map((xi, i) => tf.conv2d(xi, ks[i], strides, padding) as tf.Tensor4D);
    return tf.concat(ys, 3);
  });
}

/**
 * Grouped 2-D convolution layer, NHWC. Params k²·Cin·Cout/g (+Cout with bias); MACs k²·(Cin/g)·Cout·H′W′.
 */
export class GroupConv2D extends tf.layers.Layer implements CostAware {
  /** @nocollapse */
  static className = 'GroupConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: GroupConvPadding;
  readonly groups: number;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupConv2DArgs) {
    super(args);
    const who = `GroupConv2D '${args.name ?? this.name}'`;
    this.filters = requirePositiveInt(args.filters, `${who}: filters`);
    this.kernelSize = requirePositiveInt(args.kernelSize, `${who}: kernelSize`);
    this.strides = requirePositiveInt(args.strides ?? 1, `${who}: strides`);
    this.groups = requirePositiveInt(args.groups, `${who}: groups`);
    const padding = args.padding ?? 'same';
    if (padding !== 'same' && padding !== 'valid') {
      throw new Error(`${who}: padding must be 'same' or 'valid', got '${String(padding)}'.`);
    }
    this.padding = padding;
    if (this.filters % this.groups !== 0) {
      throw new Error(
        `${who}: groups = ${this.groups} must divide filters = ${this.filters}; ` +
          `choose filters as a multiple of ${this.groups}.`,
      );
    }
    this.useBias = args.useBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    resolveInitializer(this.kernelInitializer, who); // fail early on an unknown name
  }

  /** Creates the [k, k, Cin/g, Cout] kernel (and [Cout] bias); rejects Cin not divisible by groups. */
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const who = `GroupConv2D '${this.name}'`;
    nhwcDims(shape, who);
    const cin = channelsOf(shape, who);
    if (cin % this.groups !== 0) {
      throw new Error(
        `${who}: groups = ${this.groups} must divide the input channels ${cin}; ` +
          `change groups or make the input channels a multiple of it.`,
      );
    }
    if (this.padding === 'valid') {
      const [h, w] = [shape[1] as number, shape[2] as number];
      if (h < this.kernelSize || w < this.kernelSize) {
        throw new Error(`${who}: 'valid' padding needs H, W ≥ kernelSize ${this.kernelSize}, got ${h}×${w}.`);
      }
    }
    const k = this.kernelSize;
    this.kernel = this.addWeight(
      'kernel',
      [k, k, cin / this.groups, this.filters],
      'float32',
      resolveInitializer(this.kernelInitializer, who),
    );
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    }
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    const [h, w] = nhwcDims(shape, `GroupConv2D '${this.name}'`);
    const k = this.kernelSize;
    return [
      shape[0],
      convOutputLength(h, k, this.strides, this.padding),
      convOutputLength(w, k, this.strides, this.padding),
      this.filters,
    ];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = (this.kernel as tf.LayerVariable).read() as tf.Tensor4D;
      const y = groupConv2dTensor(x, kernel, this.groups, this.strides, this.padding);
      return this.bias === null ? y : tf.add(y, this.bias.read());
    });
  }

  /** k²·(Cin/g)·Cout·H′W′ multiply-accumulates for one image; inputShapes[0] = [H, W, Cin]. */
  macs(inputShapes: number[][]): number {
    const [h, w, cin] = inputShapes[0];
    const k = this.kernelSize;
    const outH = convOutputLength(h, k, this.strides, this.padding);
    const outW = convOutputLength(w, k, this.strides, this.padding);
    return k * k * (cin / this.groups) * this.filters * outH * outW;
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      groups: this.groups,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
    };
  }
}
tf.serialization.registerClass(GroupConv2D);

/** Factory for {@link GroupConv2D}. */
export function groupConv2d(args: GroupConv2DArgs): GroupConv2D {
  return new GroupConv2D(args);
}
