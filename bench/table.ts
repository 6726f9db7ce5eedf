/**
 * Formats bench JSON lines (files written by `npm run bench -- --json`) as README's markdown speed table, one row per
 * model × mode with ours beside every peer that ran: `node dist/bench/table.js FILE.jsonl …`. Lines from before
 * `peerName` existed count as `pytorch-graph`.
 */
import * as fs from 'fs';
import type { BenchLine, PeerName } from './run';

const PEER_ORDER: PeerName[] = ['pytorch-graph', 'torchvision', 'onnxruntime'];
const PEER_TITLE: Record<PeerName, string> = { 'pytorch-graph': 'PyTorch (our graph)', torchvision: 'torchvision', onnxruntime: 'ONNX Runtime' };

function fmt(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}

/** Ratio with its per-round range, e.g. "0.60 (0.57–0.64)"; "—" when missing. */
function ratioCell(l: BenchLine | undefined): string {
  if (l === undefined || l.ratio === null) return l?.error ? 'failed' : '—';
  return `${l.ratio.toFixed(2)}${l.ratioRange ? ` (${l.ratioRange[0].toFixed(2)}–${l.ratioRange[1].toFixed(2)})` : ''}`;
}

/** The markdown table of `lines` (gemm records and other non-bench lines are skipped). */
export function speedTable(lines: BenchLine[]): string {
  const rows = new Map<string, Map<PeerName, BenchLine>>();
  for (const l of lines) {
    const key = `${l.model}\u0000${l.mode}`;
    const peers = rows.get(key) ?? new Map<PeerName, BenchLine>();
    peers.set(l.peerName ?? 'pytorch-graph', l);
    rows.set(key, peers);
  }
  const present = PEER_ORDER.filter((p) => [...rows.values()].some((m) => m.has(p)));
  const header = ['model', 'mode', 'unit', 'ours', ...present.flatMap((p) => [PEER_TITLE[p], `ratio vs ${PEER_TITLE[p]} (per-round range)`])];
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const peers of rows.values()) {
    const any = [...peers.values()][0];
    // Ours of the pytorch-graph / onnxruntime lines is the mode's build; the torchvision line's may be the twin build.
    const oursLine = peers.get('pytorch-graph') ?? peers.get('onnxruntime') ?? any;
    const cells = [any.model, any.mode, any.unit, fmt(oursLine.ours)];
    for (const p of present) {
      const l = peers.get(p);
      const detail = p === 'torchvision' && l?.oursConfig ? ` ¹` : '';
      cells.push(l === undefined ? '—' : fmt(l.peer) + detail, ratioCell(l));
    }
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: node dist/bench/table.js FILE.jsonl [FILE.jsonl …]\n');
    process.exitCode = 2;
  } else {
    const lines: BenchLine[] = [];
    for (const f of files) {
      for (const text of fs.readFileSync(f, 'utf8').split('\n')) {
        if (!text.startsWith('{')) continue;
        const record = JSON.parse(text) as Record<string, unknown>;
        if (record.gemm !== true && typeof record.model === 'string') lines.push(record as unknown as BenchLine);
      }
    }
    process.stdout.write(speedTable(lines) + '\n');
    if (lines.some((l) => l.peerName === 'torchvision' && l.oursConfig)) {
      process.stdout.write('\n¹ ratio against our build with the twin\'s options (mobilenet_v2: padding \'torch\'); its own "ours" is in the JSON line.\n');
    }
  }
}
