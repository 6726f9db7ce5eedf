/**
 * ShiftNet's fixed grouped shift (GROUPED_SHIFT of ops/shift.ts: runs of channels sharing one offset) on wasm: the
 * C addon's kernel (groupedShift in native/src/shift.c) in front of a TypeScript kernel, which runs the calls the
 * addon declines and everything when the addon is absent or switched off.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from '../core/addon';
import { allFloat32, asWasmBackend, heapF32 } from '../core/heap';
import { KernelArgs, wasmKernelConfig } from '../core/kernel-args';
import type { NativeOverride } from '../core/native-override';
import { GROUPED_SHIFT } from '../../ops/shift';

/** The addon's grouped-shift entry point. */
export interface GroupedShiftAddon {
  /** y [N,H,W,C] = x shifted per run: runs = [c0, c1, dy, dx, …] tiling 0..C, y[n,h,w,c] = x[n,h+dy,w+dx,c] (0 outside). */
  groupedShift(x: Float32Array, y: Float32Array, runs: Int32Array, geom: Int32Array): void;
}

function groupedShiftAddon(addon: NativeAddon): GroupedShiftAddon {
  return addon as unknown as GroupedShiftAddon;
}

/** The runs attribute of GROUPED_SHIFT when it tiles 0..channels in order with integer offsets, else null. */
function shiftRuns(attrs: tf.NamedAttrMap | undefined, channels: number): Int32Array | null {
  const runs = (attrs as { runs?: unknown } | undefined)?.runs;
  if (!Array.isArray(runs)) return null;
  // Frozen runs (the Shift layer's) cannot change: their checked typed copy is reused, not rebuilt every call.
  const cached = Object.isFrozen(runs) ? checkedRuns.get(runs) : undefined;
  if (cached !== undefined && cached.channels === channels) return cached.runs;
  const checked = checkRuns(runs, channels);
  if (checked !== null && Object.isFrozen(runs)) checkedRuns.set(runs, { channels, runs: checked });
  return checked;
}

const checkedRuns = new WeakMap<readonly unknown[], { channels: number; runs: Int32Array }>();

/** Validates [c0, c1, dy, dx, …] as runs tiling channels 0..channels in order; their Int32Array, or null. */
function checkRuns(runs: readonly unknown[], channels: number): Int32Array | null {
  if (runs.length === 0 || runs.length % 4 !== 0) return null;
  if (!runs.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31)) return null;
  let next = 0;
  for (let j = 0; j < runs.length; j += 4) {
    if (runs[j] !== next || (runs[j + 1] as number) <= (runs[j] as number)) return null;
    next = runs[j + 1] as number;
  }
  return next === channels ? Int32Array.from(runs as number[]) : null;
}

/**
 * TypeScript GROUPED_SHIFT on wasm: the kernel the native one replaces and hands declined calls to (and the one that
 * runs with the native kernels switched off). x [N,H,W,C] → [N,H,W,C]; one copy per (row, column, run).
 */
function groupedShiftWasm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend, GROUPED_SHIFT);
  const x = args.inputs.x;
  if (x === undefined || x.dtype !== 'float32' || x.shape.length !== 4) {
    throw new Error(`${GROUPED_SHIFT}: expects one float32 NHWC input x, got ${x === undefined ? 'none' : `${x.dtype} [${x.shape}]`}`);
  }
  const [n, h, w, c] = x.shape;
  const runs = shiftRuns(args.attrs, c);
  if (runs === null) throw new Error(`${GROUPED_SHIFT}: attrs.runs must be [c0, c1, dy, dx, …] tiling channels 0..${c} in order`);
  const out = backend.makeOutput(x.shape, 'float32');
  const xs = heapF32(backend, x);
  const ys = heapF32(backend, out);
  for (let row = 0; row < n * h; row++) {
    const b = Math.floor(row / h);
    const hh = row % h;
    for (let j = 0; j < runs.length; j += 4) {
      const [c0, c1, dy, dx] = [runs[j], runs[j + 1], runs[j + 2], runs[j + 3]];
      const ih = hh + dy;
      for (let ww = 0; ww < w; ww++) {
        const o = (row * w + ww) * c;
        const iw = ww + dx;
        if (ih < 0 || ih >= h || iw < 0 || iw >= w) ys.fill(0, o + c0, o + c1);
        else ys.set(xs.subarray(((b * h + ih) * w + iw) * c + c0, ((b * h + ih) * w + iw) * c + c1), o + c0);
      }
    }
  }
  return out;
}

/** Registration record of the TypeScript kernel (the native override, registered later, hands declined calls to it). */
export const groupedShiftConfig = wasmKernelConfig(GROUPED_SHIFT, groupedShiftWasm);

/** Native GROUPED_SHIFT: declines non-float32, non-4-D and malformed runs (the TypeScript kernel then reports them). */
function groupedShift(args: KernelArgs, addon: NativeAddon, backend: BackendWasm): tf.TensorInfo | null {
  const x = args.inputs.x;
  if (x === undefined || !allFloat32(x) || x.shape.length !== 4 || !x.shape.every((d) => d >= 1)) return null;
  const runs = shiftRuns(args.attrs, x.shape[3]);
  if (runs === null) return null;
  const out = backend.makeOutput(x.shape, 'float32');
  groupedShiftAddon(addon).groupedShift(heapF32(backend, x), heapF32(backend, out), runs, Int32Array.from(x.shape));
  return out;
}

/** The grouped shift served by the addon. */
export const GROUPED_SHIFT_NATIVE_OVERRIDES: readonly NativeOverride[] = [{ kernelName: GROUPED_SHIFT, impl: groupedShift }];
