import { frameMatchKey } from '../lib/folded-frames.ts'
import type { FlameNodeData } from './flame.tsx'

// The differential flame graph of two profiles of one workload (A the base, B the candidate, such
// as a culprit's parent and the culprit): B's flame graph, each frame coloured by how its self
// share (samples in its own code, as a fraction of all samples of its profile) changed from A —
// red where B spends more of its time there, blue where less, white where nothing changed. The
// shape is B's (widths are B's shares), as in Gregg's differential flame graphs; a frame only A
// has is not drawn (its time is the differential table's "less"). Pure: the page builds the tree
// from the two profiles' flame answers of the API.

/** A frame of B's tree with what A had at the same place (same stack of name, file and line). */
export interface DiffNodeData extends FlameNodeData {
  /** A's samples with this frame anywhere at this place of the stack, and in its own code. */
  readonly baseTotal: number
  readonly baseSelf: number
  readonly children: readonly DiffNodeData[]
}

/** What colouring a differential needs besides the tree. */
export interface DiffScale {
  /** Samples of A (its root's total), the denominator of A's shares. */
  readonly baseSamples: number
  /** Samples of B. */
  readonly samples: number
  /** The largest |change in self share| in the tree: the darkest colour. */
  readonly maxDelta: number
}

/** Frames are matched as the differential matches functions (C frames by symbol and kind of object). */
const keyOf = (n: FlameNodeData) => frameMatchKey(n)

/** B's tree with A's samples at the same places. */
export function diffFlameTree(base: FlameNodeData | undefined, candidate: FlameNodeData): DiffNodeData {
  const byKey = new Map<string, FlameNodeData>()
  for (const c of base?.children ?? []) if (!byKey.has(keyOf(c))) byKey.set(keyOf(c), c)
  return {
    name: candidate.name,
    file: candidate.file,
    line: candidate.line,
    total: candidate.total,
    self: candidate.self,
    baseTotal: base?.total ?? 0,
    baseSelf: base?.self ?? 0,
    children: candidate.children.map((c) => diffFlameTree(byKey.get(keyOf(c)), c)),
  }
}

/** A frame's change in self share from A to B, as a fraction of all samples (0.05 = 5 points). */
export function selfDelta(node: DiffNodeData, scale: Pick<DiffScale, 'baseSamples' | 'samples'>): number {
  const b = scale.samples > 0 ? node.self / scale.samples : 0
  const a = scale.baseSamples > 0 ? node.baseSelf / scale.baseSamples : 0
  return b - a
}

/** The colouring of a differential tree: its sample counts and its largest change. */
export function diffScale(root: DiffNodeData): DiffScale {
  const scale = { baseSamples: root.baseTotal, samples: root.total }
  let maxDelta = 0
  const walk = (n: DiffNodeData) => {
    maxDelta = Math.max(maxDelta, Math.abs(selfDelta(n, scale)))
    for (const c of n.children) walk(c)
  }
  walk(root)
  return { ...scale, maxDelta }
}

/** White for no change, to red (more self share in B) or blue (less), by the change's size. */
export function diffFill(node: DiffNodeData, scale: DiffScale): string {
  const d = selfDelta(node, scale)
  const t = scale.maxDelta > 0 ? Math.min(1, Math.abs(d) / scale.maxDelta) : 0
  const fade = Math.round(250 - 190 * t)
  return d > 0 ? `rgb(250,${fade},${fade})` : d < 0 ? `rgb(${fade},${fade},250)` : 'rgb(250,250,250)'
}

/** The tooltip line a differential adds: A's and B's self shares and the change. */
export function diffTooltip(node: DiffNodeData, scale: DiffScale): string {
  const pct = (n: number, of: number) => (of > 0 ? `${((100 * n) / of).toFixed(1)} %` : '–')
  const d = 100 * selfDelta(node, scale)
  return `self A ${pct(node.baseSelf, scale.baseSamples)} → B ${pct(node.self, scale.samples)} (${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} points); total A ${pct(node.baseTotal, scale.baseSamples)} → B ${pct(node.total, scale.samples)}`
}
