import { hostname } from 'node:os'
import {
  buildFromInterpreter,
  diffProfiles,
  type FunctionChange,
  type FunctionRow,
  type ProfileView,
  profileAndStore,
  profileView,
  storedLoopCounts,
  type TopFunctions,
} from '../../analysis/index.ts'
import { LangperfError, quote } from '../../lib/index.ts'
import { PROFILERS, type ProfilerName, shortLocation } from '../../model/index.ts'
import {
  discoverInterpreters,
  ensurePySpy,
  findPerf,
  getPreset,
  type Interpreter,
  loadWorkloads,
  readEnvironment,
} from '../../runner/index.ts'
import type { ProfileRow, ProfileWithStacks, Store } from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore, withStoreCreating } from '../context.ts'
import { log, printJson, println, table } from '../output.ts'
import { cacheDirOf } from './pipeline-options.ts'

// `langperf profile`: where a workload's time goes, sampled by py-spy (or perf, for C frames) in
// processes of its own (docs/profiles.md), stored, and read back as a top-functions table
// (`show`) or as the differential of two profiles (`diff`).

/** Options of `langperf profile WORKLOAD`. */
export interface ProfileOptions extends CommonOptions {
  readonly python?: readonly string[]
  readonly duration?: number
  readonly processes?: number
  readonly rate?: number
  /** `py-spy` (default) or `perf`. */
  readonly profiler?: string
  readonly machine?: string
  readonly cacheDir?: string
  readonly config?: string
  readonly recalibrate?: boolean
  readonly top?: number
  readonly wholeProcess?: boolean
}

/** Options of `profile show`, `profile diff` and `profile list`. */
export interface ProfileViewOptions extends CommonOptions {
  readonly top?: number
  /** Count every sample, start-up included, not only those in timed values. */
  readonly wholeProcess?: boolean
  readonly workload?: string
  readonly limit?: number
}

const DEFAULT_TOP = 15

/** `langperf profile WORKLOAD`: profiles it on each --python, stores the profiles, prints what they say. */
export async function profileCommand(ctx: Ctx, workload: string, options: ProfileOptions): Promise<number> {
  const durationS = options.duration ?? 10
  const processes = options.processes ?? 2
  const rateHz = options.rate ?? 250
  if (!(durationS > 0))
    throw new LangperfError('bad-input', `Cannot use --duration ${durationS}: expected seconds > 0`)
  if (!(processes >= 1))
    throw new LangperfError('bad-input', `Cannot use --processes ${processes}: expected 1 or more`)
  if (!(rateHz >= 1 && rateHz <= 10_000))
    throw new LangperfError(
      'bad-input',
      `Cannot use --rate ${rateHz}: expected 1 to 10000 samples per second`,
    )
  const profiler = profilerName(options.profiler)
  if (!options.python || options.python.length === 0)
    throw new LangperfError(
      'bad-input',
      'Cannot profile: expected an interpreter, give one or two with --python PATH',
    )
  const all = await loadWorkloads()
  const def = all.find((w) => w.manifest.name === workload)
  if (def === undefined)
    throw new LangperfError(
      'bad-input',
      `Cannot profile workload ${quote(workload)}: expected one of ${all.map((w) => w.manifest.name).join(', ')}`,
    )
  if (def.manifest.requirements?.length)
    throw new LangperfError(
      'unavailable',
      `Cannot profile workload ${quote(workload)}: workloads with requirements are not profiled yet (they need their virtual environment, which only \`langperf run\` makes); expected a standard-library workload`,
    )
  const interpreters = await findInterpreters(ctx, options.python)
  const cacheDir = await cacheDirOf(options)
  const tool = profiler === 'perf' ? await findPerf(ctx.env) : await ensurePySpy(cacheDir, { env: ctx.env })
  if (tool.ok && tool.installed) log(ctx.io, `installed py-spy ${tool.version} into ${cacheDir}/tools`)
  if (!tool.ok) log(ctx.io, `${profiler} is not available: ${tool.reason}`)
  const machine = options.machine ?? hostname()
  const environment = await readEnvironment()
  const minTimeS = getPreset('default').minTimeS
  log(
    ctx.io,
    `langperf profile: ${workload} on ${interpreters.length} interpreter(s), about ${durationS} s each in ${processes} process(es) under ${profiler} at ${rateHz} Hz`,
  )
  return withStoreCreating(
    options,
    async (store) => {
      const frozenLoops = options.recalibrate
        ? undefined
        : await loopsOf(store, { interpreters, machine, minTimeS, workload, version: def.version })
      const outcome = await profileAndStore(
        store,
        {
          interpreters,
          workload: def,
          profiler,
          tool,
          durationS,
          processes,
          rateHz,
          minTimeS,
          ...(frozenLoops ? { frozenLoops } : {}),
        },
        { machine, environment, log: (line) => log(ctx.io, line) },
      )
      const stored = []
      for (const id of outcome.profileIds) {
        const p = await store.getProfile(id)
        if (p !== undefined) stored.push(p)
      }
      printRecorded(ctx, stored, options)
      return 0
    },
    ctx.env,
  )
}

/** The profiler `--profiler` names (default py-spy). */
function profilerName(text: string | undefined): ProfilerName {
  if (text === undefined) return 'py-spy'
  const found = PROFILERS.find((p) => p === text)
  if (found === undefined)
    throw new LangperfError(
      'bad-input',
      `Cannot use --profiler ${quote(text)}: expected one of ${PROFILERS.join(', ')}`,
    )
  return found
}

/** The loop counts of each interpreter's earlier runs of this workload version on this machine. */
async function loopsOf(
  store: Store,
  q: {
    readonly interpreters: readonly Interpreter[]
    readonly machine: string
    readonly minTimeS: number
    readonly workload: string
    readonly version: string
  },
): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = []
  for (const interp of q.interpreters) {
    const loops = await storedLoopCounts(store, {
      identity: buildFromInterpreter(interp).identity,
      machine: q.machine,
      minTimeS: q.minTimeS,
      versions: new Map([[q.workload, q.version]]),
    })
    out.push(loops?.[q.workload])
  }
  return out
}

async function findInterpreters(ctx: Ctx, paths: readonly string[]): Promise<Interpreter[]> {
  const { interpreters, rejected } = await discoverInterpreters({
    env: ctx.env,
    explicit: paths,
    alsoDiscover: false,
  })
  for (const r of rejected) log(ctx.io, `skipped ${r.path} (${r.origin}): ${r.reason}`)
  if (interpreters.length === 0)
    throw new LangperfError(
      'unavailable',
      `Cannot profile: no usable interpreter among ${paths.map((p) => quote(p)).join(', ')}`,
    )
  return [...interpreters]
}

/** Prints each stored profile (its top functions, or why there is none) and, with two, their differential. */
function printRecorded(ctx: Ctx, profiles: readonly ProfileWithStacks[], options: ProfileOptions): void {
  const views = profiles.map((p) => viewOf(p, options))
  const tops = views.map((v) => v?.top ?? null)
  if (options.json) {
    const [a, b] = tops
    printJson(ctx.io, {
      profiles: profiles.map(({ stacksGzip: _, ...p }, i) => ({ ...p, view: views[i] ?? null })),
      ...(a && b && profiles.length === 2 ? { diff: diffProfiles(a, b) } : {}),
    })
    return
  }
  for (const [i, p] of profiles.entries()) {
    println(ctx.io, headerOf(p))
    const view = views[i]
    if (view) println(ctx.io, `${scopeOf(view)}\n${renderTopTable(view.top, options.top ?? DEFAULT_TOP)}`)
    println(ctx.io)
  }
  const [a, b] = tops
  const [pa, pb] = profiles
  if (profiles.length === 2 && a && b && pa && pb) {
    println(ctx.io, `Differential, ${labelOf(pb)} against ${labelOf(pa)}:`)
    println(ctx.io, renderDiffTable(diffProfiles(a, b), options.top ?? DEFAULT_TOP))
    println(ctx.io)
    println(ctx.io, `Again: \`langperf profile diff ${pa.id} ${pb.id}\`.`)
  } else if (profiles[0]) println(ctx.io, `Again: \`langperf profile show ${profiles[0].id}\`.`)
}

/** `cpython-3.12.1` of a profile's build. */
function labelOf(p: ProfileRow): string {
  return `${p.build.runtime}-${p.build.version}`
}

/** What a view of a profile reads: its top functions over the timed values (or every sample). */
type View = Pick<ProfileView, 'top' | 'processSamples' | 'timedOnly'>

/** The view of a stored profile as the commands print it, or null when it has no stacks. */
function viewOf(p: ProfileWithStacks, options: { readonly wholeProcess?: boolean }): View | null {
  const v = profileView(p, options)
  return v === null ? null : { top: v.top, processSamples: v.processSamples, timedOnly: v.timedOnly }
}

/** Which samples a view counts. */
function scopeOf(v: View): string {
  return v.timedOnly
    ? `${v.top.samples} of ${v.processSamples} samples in timed values (start-up, imports and make() left out; --whole-process counts every sample)`
    : `every sample of the processes: ${v.processSamples}`
}

/** One line saying what a profile is; for one not profiled, why. */
function headerOf(p: ProfileRow): string {
  const what = `Profile ${p.id}: ${p.workload.name} on ${labelOf(p)} (${p.machine}, ${p.createdAt})`
  if (p.state !== 'profiled') return `${what}: ${p.state}: ${p.message ?? ''}`
  return `${what}: ${p.sampleCount} samples at ${p.rateHz} Hz in ${p.processes} process(es), ${p.tool} ${p.toolVersion}`
}

const pct = (x: number) => `${x.toFixed(1)} %`

/** The top `n` functions by self samples, as a table. */
export function renderTopTable(top: TopFunctions, n: number): string {
  const rows = top.rows
    .slice(0, n)
    .map((r: FunctionRow) => [
      pct(r.selfPercent),
      String(r.self),
      pct(r.totalPercent),
      String(r.total),
      r.name,
      shortLocation(r),
    ])
  const more = top.rows.length > n ? `\n(${top.rows.length - n} more functions; --top N shows more)` : ''
  const none =
    top.withoutFrames > 0 ? `\n${top.withoutFrames} of ${top.samples} samples had no Python frame` : ''
  return `${table(['self', 'samples', 'total', 'samples', 'function', 'where'], rows, ['right', 'right', 'right', 'right'])}${more}${none}`
}

/** The `n` largest changes in self share, with their intervals. */
export function renderDiffTable(diff: ReturnType<typeof diffProfiles>, n: number): string {
  const rows = diff.rows
    .slice(0, n)
    .map((r: FunctionChange) => [
      r.name,
      shortLocation(r),
      pct(r.selfPercentA),
      pct(r.selfPercentB),
      `${r.deltaPoints >= 0 ? '+' : ''}${r.deltaPoints.toFixed(1)}`,
      `[${r.low.toFixed(1)}, ${r.high.toFixed(1)}]`,
      r.significant ? (r.deltaPoints > 0 ? '▲ more' : '▼ less') : '=',
    ])
  return [
    table(
      [
        'function',
        'where',
        'self A',
        'self B',
        'Δ points',
        `${Math.round(diff.confidence * 100)} % interval`,
        '',
      ],
      rows,
      ['left', 'left', 'right', 'right', 'right', 'right'],
    ),
    `A ${diff.samplesA} samples, B ${diff.samplesB}; the interval treats samples as independent, so it is a lower bound on the uncertainty`,
  ].join('\n')
}

/** A profile id argument. */
function profileId(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 1)
    throw new LangperfError('bad-input', `Cannot read profile id ${quote(text)}: expected a positive integer`)
  return n
}

/** A stored profile with its stacks, or not-found. */
async function mustGet(store: Store, id: number): Promise<ProfileWithStacks> {
  const p = await store.getProfile(id)
  if (p === undefined)
    throw new LangperfError(
      'not-found',
      `Cannot show profile ${id}: there is none (\`langperf profile list\`)`,
    )
  return p
}

/** `langperf profile show ID`. */
export async function showCommand(ctx: Ctx, id: string, options: ProfileViewOptions): Promise<number> {
  return withStore(
    options,
    async (store) => {
      const p = await mustGet(store, profileId(id))
      const view = viewOf(p, options)
      const { stacksGzip: _, ...row } = p
      if (options.json) printJson(ctx.io, { ...row, view })
      else {
        println(ctx.io, headerOf(p))
        if (view) println(ctx.io, `${scopeOf(view)}\n${renderTopTable(view.top, options.top ?? DEFAULT_TOP)}`)
      }
      return 0
    },
    ctx.env,
  )
}

/** `langperf profile diff A B`. */
export async function diffCommand(
  ctx: Ctx,
  a: string,
  b: string,
  options: ProfileViewOptions,
): Promise<number> {
  return withStore(
    options,
    async (store) => {
      const pa = await mustGet(store, profileId(a))
      const pb = await mustGet(store, profileId(b))
      for (const p of [pa, pb])
        if (p.state !== 'profiled')
          throw new LangperfError(
            'unavailable',
            `Cannot compare profile ${p.id}: it is ${p.state} (${p.message ?? 'no stacks'})`,
          )
      const va = viewOf(pa, options)
      const vb = viewOf(pb, options)
      if (va === null || vb === null) throw new LangperfError('internal', 'A profiled profile without stacks')
      const diff = diffProfiles(va.top, vb.top)
      if (options.json) printJson(ctx.io, diff)
      else {
        println(ctx.io, `A: ${headerOf(pa)}; ${scopeOf(va)}`)
        println(ctx.io, `B: ${headerOf(pb)}; ${scopeOf(vb)}`)
        println(ctx.io, renderDiffTable(diff, options.top ?? DEFAULT_TOP))
      }
      return 0
    },
    ctx.env,
  )
}

/** `langperf profile list`. */
export async function listCommand(ctx: Ctx, options: ProfileViewOptions): Promise<number> {
  return withStore(
    options,
    async (store) => {
      const page = await store.listProfiles({
        ...(options.workload !== undefined ? { workload: options.workload } : {}),
        limit: options.limit ?? 50,
      })
      if (options.json) printJson(ctx.io, page)
      else
        println(
          ctx.io,
          table(
            ['id', 'workload', 'interpreter', 'machine', 'state', 'samples', 'created'],
            page.rows.map((p) => [
              String(p.id),
              p.workload.name,
              labelOf(p),
              p.machine,
              p.state,
              String(p.sampleCount),
              p.createdAt,
            ]),
            ['right', 'left', 'left', 'left', 'left', 'right'],
          ),
        )
      return 0
    },
    ctx.env,
  )
}
