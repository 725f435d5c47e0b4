import { frameMatchKey } from '../lib/index.ts'
import {
  DIFFERENTIAL_SUMMARY_ROWS,
  type DifferentialSummary,
  type FunctionShareChange,
} from '../model/index.ts'
import { normalQuantile } from '../stats/index.ts'

// Profiles as collapsed stacks, and what they say: where the time goes (the top functions) and
// where it went elsewhere between two profiles (the differential). Pure: text in, tables out.
//
// A collapsed stack (Brendan Gregg's folded format, py-spy's `--format raw`) is one line per
// distinct stack: its frames from the root to the leaf joined by `;`, a space, and how many
// samples saw exactly that stack. py-spy writes a frame as `function (file:line)`; with
// `--function` the line is the first line of the function, otherwise the line that ran. perf
// profiles (runner/perf-script.ts) write frames without a line: `function (file)` for a Python
// frame, `symbol (object)` for a C frame.

/** One frame of a stack: the function, its file and a line (null when the frame has none). */
export interface StackFrame {
  readonly name: string
  readonly file: string
  readonly line: number | null
}

/** One distinct stack (root first) and its samples. */
export interface CollapsedStack {
  readonly frames: readonly StackFrame[]
  readonly count: number
}

/** A profile's stacks, the samples they hold and the lines that could not be read. */
export interface ParsedStacks {
  readonly stacks: readonly CollapsedStack[]
  /** Every sample, stacks without a Python frame included. */
  readonly samples: number
  /** Lines that are not `stack count` (left out of everything). */
  readonly unreadLines: number
}

/** What a frame's line number is: the function's first line (py-spy `--function`) or the line that ran. */
export type FrameLines = 'definition' | 'current'

const FRAME_RE = /^(.*?) \((.*):(\d+)\)$/
const UNLINED_FRAME_RE = /^(.*) \(([^()]*)\)$/
const LINE_RE = /^(.*) (\d+)$/

/**
 * One frame from its text, `function (file:line)`, or `function (file)` without a line (perf's
 * frames); a frame without a location keeps its text as its name.
 */
export function parseFrame(text: string): StackFrame {
  const m = FRAME_RE.exec(text)
  if (m !== null) return { name: m[1] ?? '', file: m[2] ?? '', line: Number(m[3]) }
  const u = UNLINED_FRAME_RE.exec(text)
  if (u !== null && u[1] !== '') return { name: u[1] ?? '', file: u[2] ?? '', line: null }
  return { name: text, file: '', line: null }
}

/**
 * The stacks of a collapsed-stack text. The count is what follows the last space of a line, so a
 * file name with spaces or semicolons inside a frame's parentheses stays whole as long as it
 * holds no `;` (py-spy writes paths as they are). Empty lines are ignored; a line without a count
 * is counted in `unreadLines`.
 */
export function parseCollapsedStacks(text: string): ParsedStacks {
  const stacks: CollapsedStack[] = []
  let samples = 0
  let unreadLines = 0
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '') continue
    const m = LINE_RE.exec(line)
    const count = m === null ? Number.NaN : Number(m[2])
    if (m === null || !Number.isSafeInteger(count) || count < 1) {
      unreadLines++
      continue
    }
    const stackText = (m[1] ?? '').trim()
    const frames = stackText === '' ? [] : stackText.split(';').map(parseFrame)
    stacks.push({ frames, count })
    samples += count
  }
  return { stacks, samples, unreadLines }
}

/** The stacks with a frame that `keep` accepts (e.g. the harness's timed loop), their samples recounted. */
export function stacksThrough(parsed: ParsedStacks, keep: (frame: StackFrame) => boolean): ParsedStacks {
  const stacks = parsed.stacks.filter((s) => s.frames.some(keep))
  return { stacks, samples: stacks.reduce((n, s) => n + s.count, 0), unreadLines: parsed.unreadLines }
}

/**
 * One collapsed-stack text from several (the processes of one profile): identical stacks have
 * their counts summed; lines sorted by stack, so the same samples always give the same text.
 */
export function mergeCollapsedStacks(texts: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const text of texts) {
    for (const raw of text.split('\n')) {
      const m = LINE_RE.exec(raw.replace(/\r$/, ''))
      if (m === null) continue
      const stack = (m[1] ?? '').trim()
      counts.set(stack, (counts.get(stack) ?? 0) + Number(m[2]))
    }
  }
  const keys = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return keys.map((k) => `${k} ${counts.get(k)}\n`).join('')
}

/** A function of the top-functions table: its samples alone (self) and with what it called (total). */
export interface FunctionRow {
  readonly name: string
  readonly file: string
  /** First line of the function when the profile's lines are definitions; null otherwise. */
  readonly line: number | null
  /** Samples with the function as the leaf: time in its own code. */
  readonly self: number
  /** Samples with the function anywhere on the stack, each stack counted once (recursion too). */
  readonly total: number
  /** `self` and `total` as percentages of every sample of the profile. */
  readonly selfPercent: number
  readonly totalPercent: number
}

/** The top-functions table of a profile. */
export interface TopFunctions {
  /** Every sample of the profile (the denominator of the percentages). */
  readonly samples: number
  /** Samples whose stack held no frame (no Python code was running); in no row. */
  readonly withoutFrames: number
  /** Every function seen, most self samples first (then most total, then by name). */
  readonly rows: readonly FunctionRow[]
}

/** How a frame is told apart: name and file, and the line when it is the function's first. */
function keyOf(frame: StackFrame, lines: FrameLines): string {
  return `${frame.name}\u0000${frame.file}\u0000${lines === 'definition' ? (frame.line ?? '') : ''}`
}

/**
 * Per function, its self samples (the leaf of a stack) and total samples (anywhere on a stack,
 * once per stack), with their shares of all samples. With `lines: 'current'` the frames of a
 * function at different lines are one function (named by file only).
 */
export function topFunctions(parsed: ParsedStacks, options: { readonly lines: FrameLines }): TopFunctions {
  const rows = new Map<string, { frame: StackFrame; self: number; total: number }>()
  let withoutFrames = 0
  for (const stack of parsed.stacks) {
    const leaf = stack.frames.at(-1)
    if (leaf === undefined) {
      withoutFrames += stack.count
      continue
    }
    const seen = new Set<string>()
    for (const frame of stack.frames) {
      const key = keyOf(frame, options.lines)
      if (seen.has(key)) continue
      seen.add(key)
      const row = rows.get(key) ?? { frame, self: 0, total: 0 }
      row.total += stack.count
      rows.set(key, row)
    }
    const leafRow = rows.get(keyOf(leaf, options.lines))
    if (leafRow) leafRow.self += stack.count
  }
  const percent = (n: number) => (parsed.samples > 0 ? (100 * n) / parsed.samples : 0)
  const out: FunctionRow[] = [...rows.values()].map((r) => ({
    name: r.frame.name,
    file: r.frame.file,
    line: options.lines === 'definition' ? r.frame.line : null,
    self: r.self,
    total: r.total,
    selfPercent: percent(r.self),
    totalPercent: percent(r.total),
  }))
  out.sort((a, b) => b.self - a.self || b.total - a.total || compareNames(a, b))
  return { samples: parsed.samples, withoutFrames, rows: out }
}

function compareNames(a: FunctionRow, b: FunctionRow): number {
  const x = `${a.name}\u0000${a.file}\u0000${a.line ?? ''}`
  const y = `${b.name}\u0000${b.file}\u0000${b.line ?? ''}`
  return x < y ? -1 : x > y ? 1 : 0
}

/** One function in the differential of two profiles: its self share in each and the change (model's FunctionShareChange). */
export type FunctionChange = FunctionShareChange

/** The differential of two profiles (A the reference, B the candidate). */
export interface ProfileDiff {
  readonly samplesA: number
  readonly samplesB: number
  readonly confidence: number
  /** Every function seen in either, largest absolute change first. */
  readonly rows: readonly FunctionChange[]
}

/**
 * Per function, the change in its self share from A to B in percentage points, with a Wald
 * interval for a difference of two binomial proportions whose variance comes from the Agresti–
 * Caffo adjusted proportions ((x + 1) / (n + 2); Agresti & Caffo 2000, The American Statistician
 * 54(4)), so a function absent from one profile still gets a width. It treats samples as
 * independent draws; a profiler's successive samples are not quite (a long call is sampled many
 * times in a row), so read the interval as a lower bound on the uncertainty.
 */
export function diffProfiles(
  a: TopFunctions,
  b: TopFunctions,
  options: { readonly confidence?: number } = {},
): ProfileDiff {
  const confidence = options.confidence ?? 0.95
  const z = normalQuantile(1 - (1 - confidence) / 2)
  const keys = new Map<string, { name: string; file: string; line: number | null }>()
  // Functions are matched by frameMatchKey: C functions of two builds' objects are one row.
  const selfOf = (t: TopFunctions) => {
    const m = new Map<string, number>()
    for (const r of t.rows) {
      const key = frameMatchKey(r)
      m.set(key, (m.get(key) ?? 0) + r.self)
      keys.set(key, { name: r.name, file: r.file, line: r.line })
    }
    return m
  }
  const selfA = selfOf(a)
  const selfB = selfOf(b)
  const nA = a.samples
  const nB = b.samples
  const rows: FunctionChange[] = [...keys.entries()].map(([key, f]) => {
    const xA = selfA.get(key) ?? 0
    const xB = selfB.get(key) ?? 0
    const pA = nA > 0 ? xA / nA : 0
    const pB = nB > 0 ? xB / nB : 0
    const adjA = (xA + 1) / (nA + 2)
    const adjB = (xB + 1) / (nB + 2)
    const se = Math.sqrt((adjA * (1 - adjA)) / (nA + 2) + (adjB * (1 - adjB)) / (nB + 2))
    const delta = 100 * (pB - pA)
    const half = 100 * z * se
    return {
      ...f,
      selfA: xA,
      selfB: xB,
      selfPercentA: 100 * pA,
      selfPercentB: 100 * pB,
      deltaPoints: delta,
      low: delta - half,
      high: delta + half,
      significant: delta - half > 0 || delta + half < 0,
    }
  })
  rows.sort(
    (x, y) =>
      Math.abs(y.deltaPoints) - Math.abs(x.deltaPoints) ||
      Math.max(y.selfB, y.selfA) - Math.max(x.selfB, x.selfA) ||
      (x.name < y.name ? -1 : x.name > y.name ? 1 : 0),
  )
  return { samplesA: nA, samplesB: nB, confidence, rows }
}

/** The few largest changes of a differential, as an alert keeps them (model/profile.ts). */
export function differentialSummary(
  diff: ProfileDiff,
  options: { readonly timedOnly: boolean; readonly rows?: number },
): DifferentialSummary {
  return {
    samplesA: diff.samplesA,
    samplesB: diff.samplesB,
    confidence: diff.confidence,
    timedOnly: options.timedOnly,
    rows: diff.rows.slice(0, options.rows ?? DIFFERENTIAL_SUMMARY_ROWS),
  }
}

/**
 * One node of a flame graph: a frame reached through the frames above it (its parents), the
 * samples of every stack through it (`total`) and of those that end in it (`self`); children
 * most samples first.
 */
export interface FlameNode {
  readonly name: string
  readonly file: string
  readonly line: number | null
  readonly total: number
  readonly self: number
  readonly children: readonly FlameNode[]
}

/** A profile's stacks as one tree, its root the whole profile. */
export interface FlameTree {
  /** Every sample counted (frameless stacks included, as the root's self). */
  readonly samples: number
  /** Nodes of fewer samples than this were folded into their parent's self. */
  readonly minSamples: number
  /** Samples of the folded nodes, over the whole tree. */
  readonly foldedSamples: number
  readonly root: FlameNode
}

interface MutableNode {
  readonly frame: StackFrame
  total: number
  self: number
  readonly children: Map<string, MutableNode>
}

/**
 * The flame graph's tree of a profile (Gregg's flame graph: a frame's width is the samples of the
 * stacks through it, its children stacked above it). Frames are merged when their function, file
 * and line are the same (`lines: 'current'` merges a function's lines). Nodes under
 * `minFraction` of the samples (default 1/2000: narrower than a pixel of a wide screen) are left
 * out, their samples counted as their parent's self and in `foldedSamples`, so a page never
 * carries thousands of invisible frames.
 */
export function flameTree(
  parsed: ParsedStacks,
  options: { readonly lines: FrameLines; readonly minFraction?: number },
): FlameTree {
  const rootFrame: StackFrame = { name: 'all', file: '', line: null }
  const root: MutableNode = { frame: rootFrame, total: 0, self: 0, children: new Map() }
  for (const stack of parsed.stacks) {
    root.total += stack.count
    let node = root
    for (const frame of stack.frames) {
      const key = keyOf(frame, options.lines)
      let child = node.children.get(key)
      if (child === undefined) {
        const kept = options.lines === 'definition' ? frame : { ...frame, line: null }
        child = { frame: kept, total: 0, self: 0, children: new Map() }
        node.children.set(key, child)
      }
      child.total += stack.count
      node = child
    }
    node.self += stack.count
  }
  const minSamples = Math.max(1, Math.ceil(parsed.samples * (options.minFraction ?? 1 / 2000)))
  let foldedSamples = 0
  const freeze = (n: MutableNode): FlameNode => {
    let self = n.self
    const children: FlameNode[] = []
    for (const c of n.children.values()) {
      if (c.total < minSamples) {
        self += c.total
        foldedSamples += c.total
      } else children.push(freeze(c))
    }
    children.sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return { name: n.frame.name, file: n.frame.file, line: n.frame.line, total: n.total, self, children }
  }
  const frozen = freeze(root)
  return { samples: parsed.samples, minSamples, foldedSamples, root: frozen }
}
