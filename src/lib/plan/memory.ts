/**
 * Static memory plan: every value of a plan gets a fixed offset in one Float32Array arena. Values live from the step
 * that writes them to the last step that reads them (the input from before the first step, the output to the end);
 * two values share memory only when their lifetimes do not overlap, or when an element-wise step writes its output
 * over an input that dies at that step (in place, see inPlaceCandidates). Offsets are chosen greedily, largest buffer
 * first, at the lowest address free over its lifetime.
 */
import { inPlaceCandidates, PlanGraph } from './steps';

/** Floats between buffer starts: 64-byte alignment, the vector width the kernels like. */
const ALIGN_FLOATS = 16;

/** Where each value lives: offsets[v] in floats (−1: unused), the arena size and the sum of every used value's size. */
export interface MemoryPlan {
  offsets: number[];
  arenaFloats: number;
  /** Σ sizes of the values the plan computes (input included): what one buffer per activation would take. */
  activationFloats: number;
  /** Steps that write their output in place over an input. */
  inPlaceSteps: number;
}

interface Buffer {
  size: number;
  start: number;
  end: number;
  offset: number;
}

/** Lifetimes, in-place sharing and arena offsets for graph `g` (steps in execution order). */
export function planMemory(g: PlanGraph): MemoryPlan {
  const n = g.values.length;
  const lastUse = new Array<number>(n).fill(-2);
  g.steps.forEach((s, i) => s.inputs.forEach((v) => {
    lastUse[v] = i;
  }));
  lastUse[g.output] = g.steps.length;
  const bufferOf = new Array<number>(n).fill(-1);
  const buffers: Buffer[] = [];
  const open = (v: number, start: number): void => {
    bufferOf[v] = buffers.length;
    buffers.push({ size: g.values[v].size, start, end: Math.max(start, lastUse[v]), offset: -1 });
  };
  open(g.input, -1);
  let inPlaceSteps = 0;
  g.steps.forEach((s, i) => {
    const reuse = inPlaceCandidates(s).find((v) => buffers[bufferOf[v]].end === i && g.values[v].size === g.values[s.output].size && v !== g.output);
    if (reuse !== undefined) {
      const b = buffers[bufferOf[reuse]];
      bufferOf[s.output] = bufferOf[reuse];
      b.end = Math.max(b.end, lastUse[s.output], i);
      inPlaceSteps++;
    } else {
      open(s.output, i);
    }
  });
  const placed: Buffer[] = [];
  for (const b of [...buffers].sort((p, q) => q.size - p.size || p.start - q.start)) {
    const busy = placed.filter((p) => p.start <= b.end && b.start <= p.end).sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of busy) {
      if (offset + b.size <= p.offset) break;
      offset = Math.max(offset, align(p.offset + p.size));
    }
    b.offset = offset;
    placed.push(b);
  }
  const offsets = bufferOf.map((b) => (b < 0 ? -1 : buffers[b].offset));
  const arenaFloats = align(Math.max(0, ...buffers.map((b) => b.offset + b.size)));
  const activationFloats = g.values.reduce((acc, v, i) => acc + (bufferOf[i] >= 0 ? v.size : 0), 0);
  return { offsets, arenaFloats, activationFloats, inPlaceSteps };
}

function align(floats: number): number {
  return Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS;
}
