// `perf script` output read into the collapsed stacks profiles are stored as (docs/profiles.md,
// "C frames with perf"). Pure and incremental: text in, collapsed stacks out. The text is
// untrusted (it names whatever the process mapped), so every size is capped and nothing of it is
// ever run or interpreted beyond splitting it into frames.
//
// langperf runs `perf script --no-inline -F pid,ip,sym,dso`: per sample a header line holding
// the pid (padded to five characters), then one line per frame from the leaf to the root — an address, the symbol and the
// object in parentheses — then an empty line:
//
//     16258
//     	          180c27 PyType_IsSubtype (/…/lib/libpython3.13.so.1.0)
//     	              85 py::work:/tmp/f.py (/tmp/jitted-16258-206.so)
//
// CPython's perf support names a Python function's frame `py::QUALNAME:FILE` (the trampoline's
// perf map on 3.12, the jitdump on 3.13+). Such a frame becomes `NAME (FILE)`: the name is the
// last part of the qualified name, as py-spy names functions, so Python frames mean the same in
// both profilers' stacks; perf knows no line. Every other frame is a C frame, `SYMBOL (OBJECT)`.

/** Caps on what one `perf script` text may hold. */
export const PERF_SCRIPT_LIMITS = {
  /** A longer line is cut to this many characters. */
  lineChars: 4096,
  /** A symbol or object name is cut to this many characters. */
  nameChars: 512,
  /** A stack keeps its leaf-most frames up to this many, under a `[truncated]` root frame. */
  framesPerStack: 1024,
  /** Distinct stacks kept; samples of further new stacks are counted in `droppedSamples`. */
  distinctStacks: 200_000,
} as const

/** What a `perf script` text held. */
export interface PerfStacks {
  /** Collapsed stacks (root first, `;`-joined, a space and the count), sorted; '' when none. */
  readonly collapsed: string
  /** Samples of the profiled process (the pid of the first sample) in `collapsed`. */
  readonly samples: number
  /** The samples among them with at least one Python (`py::`) frame. */
  readonly pythonSamples: number
  /** Samples of other processes (children the workload started), left out. */
  readonly otherProcessSamples: number
  /** Every pid seen (the profiled process and its children). */
  readonly pids: readonly number[]
  /** Samples left out because the distinct-stack cap was reached. */
  readonly droppedSamples: number
  /** Stacks cut to the frame cap. */
  readonly truncatedStacks: number
  /** Frame lines that could not be read (left out of their stack). */
  readonly unreadLines: number
}

const HEADER_RE = /^\s*(\d{1,10})\s*$/
const FRAME_RE = /^\s+([0-9a-f]{1,16})\s+(.*) \((.*)\)$/

/** A frame's text as the stored stacks hold it: no `;` (the frame separator), no control characters. */
function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const s = text.replace(/[\u0000-\u001f\u007f]/g, '').replace(/;/g, ',')
  return s.length > PERF_SCRIPT_LIMITS.nameChars ? s.slice(0, PERF_SCRIPT_LIMITS.nameChars) : s
}

/** The collapsed text of one `perf script` frame (symbol and object), and whether it is Python's. */
export function perfFrame(
  symbol: string,
  object: string,
): { readonly text: string; readonly python: boolean } {
  if (symbol.startsWith('py::')) {
    const rest = symbol.slice(4)
    const colon = rest.indexOf(':')
    if (colon > 0) {
      const qualname = rest.slice(0, colon)
      const name = qualname.split('.').at(-1) || qualname
      return { text: `${clean(name)} (${clean(rest.slice(colon + 1))})`, python: true }
    }
  }
  return { text: `${clean(symbol)} (${clean(object)})`, python: false }
}

/**
 * Reads `perf script` text line by line (`push`), then `finish` gives the collapsed stacks of the
 * profiled process: the pid of the first sample, which is the process perf started (its children
 * start later). Samples of other pids are counted, not kept.
 */
export class PerfScriptReader {
  private readonly counts = new Map<string, number>()
  private pid: number | null = null
  private current: { pid: number; frames: string[]; python: boolean } | null = null
  private readonly pids = new Set<number>()
  private samples = 0
  private pythonSamples = 0
  private otherProcessSamples = 0
  private droppedSamples = 0
  private truncatedStacks = 0
  private unreadLines = 0

  /** One line of the text (without its newline). */
  push(raw: string): void {
    const line = raw.length > PERF_SCRIPT_LIMITS.lineChars ? raw.slice(0, PERF_SCRIPT_LIMITS.lineChars) : raw
    if (line.trim() === '') {
      this.endSample()
      return
    }
    // The pid is right-aligned (` 6190`); frame lines start with a tab.
    const header = HEADER_RE.exec(line)
    if (header !== null && !line.startsWith('\t')) {
      this.endSample()
      this.current = { pid: Number(header[1]), frames: [], python: false }
      return
    }
    const frame = FRAME_RE.exec(line)
    if (frame === null || this.current === null) {
      this.unreadLines++
      return
    }
    const f = perfFrame(frame[2] ?? '', frame[3] ?? '')
    this.current.frames.push(f.text)
    if (f.python) this.current.python = true
  }

  private endSample(): void {
    const s = this.current
    this.current = null
    if (s === null) return
    this.pids.add(s.pid)
    if (this.pid === null) this.pid = s.pid
    if (s.pid !== this.pid) {
      this.otherProcessSamples++
      return
    }
    // perf prints the leaf first; collapsed stacks go from the root.
    let frames = s.frames.reverse()
    if (frames.length > PERF_SCRIPT_LIMITS.framesPerStack) {
      frames = ['[truncated]', ...frames.slice(frames.length - PERF_SCRIPT_LIMITS.framesPerStack)]
      this.truncatedStacks++
    }
    const key = frames.join(';')
    const had = this.counts.get(key)
    if (had === undefined && this.counts.size >= PERF_SCRIPT_LIMITS.distinctStacks) {
      this.droppedSamples++
      return
    }
    this.counts.set(key, (had ?? 0) + 1)
    this.samples++
    if (s.python) this.pythonSamples++
  }

  /** The stacks read so far (a sample without its closing empty line included). */
  finish(): PerfStacks {
    this.endSample()
    const keys = [...this.counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return {
      collapsed: keys.map((k) => `${k} ${this.counts.get(k)}\n`).join(''),
      samples: this.samples,
      pythonSamples: this.pythonSamples,
      otherProcessSamples: this.otherProcessSamples,
      pids: [...this.pids],
      droppedSamples: this.droppedSamples,
      truncatedStacks: this.truncatedStacks,
      unreadLines: this.unreadLines,
    }
  }
}

/** The collapsed stacks of a whole `perf script` text. */
export function parsePerfScript(text: string): PerfStacks {
  const reader = new PerfScriptReader()
  for (const line of text.split('\n')) reader.push(line.replace(/\r$/, ''))
  return reader.finish()
}
