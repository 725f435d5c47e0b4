import { stat } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { definedSuiteError } from '../config/index.ts'
import { type LangperfError, quote } from '../lib/index.ts'
import {
  type DefinedSuite,
  type LangperfConfig,
  requirementName,
  type SuiteDefinition,
  type WorkloadDefinition,
} from '../model/index.ts'
import { loadWorkloadSets, overrideRequirements, resolveSuite, WORKLOADS_DIR } from './workloads.ts'

// The suites a configuration defines (`[[suites.define]]` of langperf.toml): folders of one's own
// workloads, loaded beside the built-in ones as `--workloads DIR` loads them, each under a suite
// name that `run --suite` and the nightly's suite lists take like a built-in suite's. What needs
// the disk is checked here, in the words of the configuration's own messages (file and key).

/** The workloads and suites of a configuration, its defined suites included. */
export interface WorkloadCatalog {
  /** Every workload: built-in, of `--workloads` folders and of defined suites (overrides applied). */
  readonly workloads: readonly WorkloadDefinition[]
  /** Every suite: built-in, of the folders' suites.json, and the defined ones. */
  readonly suites: readonly SuiteDefinition[]
  /** The workloads of suite `name` in its order, as measured (a defined suite's overrides applied). */
  readonly suiteWorkloads: (name: string) => WorkloadDefinition[]
}

/**
 * The built-in workloads, those of `extraDirs` (`--workloads DIR`) and the suites `config` defines.
 * A defined suite whose folder is missing, whose name another suite has, that lists a workload
 * its folder lacks or overrides a distribution none of its workloads lists throws `bad-input`
 * naming the configuration file and the key. A workload two defined suites measure with
 * different overrides is refused too: it would be two series under one name in one run.
 */
export async function loadWorkloadCatalog(
  config: Pick<LangperfConfig, 'file' | 'suites'> | null,
  extraDirs: readonly string[] = [],
  builtInDir: string = WORKLOADS_DIR,
): Promise<WorkloadCatalog> {
  const defined = config?.suites.defined ?? []
  const problem = (i: number, key: string, text: string) =>
    definedSuiteError(config as Pick<LangperfConfig, 'file' | 'suites'>, i, key, text)
  for (const [i, d] of defined.entries()) {
    const kind = await stat(d.path).then(
      (s) => (s.isDirectory() ? 'dir' : 'other'),
      () => 'missing',
    )
    if (kind !== 'dir')
      throw problem(
        i,
        'path',
        `expected a folder of workloads (one <name>/manifest.json each), found ${kind === 'missing' ? 'no such directory' : 'a file that is not a directory'} ${quote(d.path, 200)}`,
      )
  }
  // A folder given twice (two suites, or a suite and --workloads) is loaded once; the built-in
  // folder is loaded anyway, so a suite may also name a subset of the built-in workloads.
  const dirs = [...new Set([...extraDirs, ...defined.map((d) => d.path)].map((d) => resolve(d)))].filter(
    (d) => d !== resolve(builtInDir),
  )
  const loaded = await loadWorkloadSets(dirs, builtInDir)
  const suites: SuiteDefinition[] = [...loaded.suites]
  const measured = new Map<string, WorkloadDefinition[]>()
  const chosen = new Map<string, { def: WorkloadDefinition; suite: string }>()
  for (const [i, d] of defined.entries()) {
    const clash = suites.find((s) => s.name === d.name)
    if (clash !== undefined)
      throw problem(
        i,
        'name',
        `repeats suite ${quote(d.name)}, which ${loaded.suites.includes(clash) ? "the built-in workloads or a folder's suites.json define" : 'another [[suites.define]] names'}; expected a name of its own`,
      )
    const inFolder = loaded.workloads.filter((w) => w.dir.startsWith(`${resolve(d.path)}${sep}`))
    if (inFolder.length === 0)
      throw problem(i, 'path', `expected a folder holding workloads, found none in ${quote(d.path, 200)}`)
    const picked = selectFromFolder(d, inFolder, (text) => problem(i, 'workloads', text))
    const listed = new Set(picked.flatMap((w) => w.manifest.requirements ?? []).map(requirementName))
    const unlisted = d.requirementsOverride.find((r) => !listed.has(requirementName(r)))
    if (unlisted !== undefined)
      throw problem(
        i,
        'requirements_override',
        `overrides ${quote(requirementName(unlisted))}, expected a distribution the suite's workloads list (${[...listed].join(', ') || 'they list no requirements'})`,
      )
    const defs =
      d.requirementsOverride.length > 0 ? overrideRequirements(picked, d.requirementsOverride) : picked
    for (const def of defs) {
      const earlier = chosen.get(def.manifest.name)
      if (earlier !== undefined && earlier.def.version !== def.version)
        throw problem(
          i,
          'requirements_override',
          `gives workload ${quote(def.manifest.name)} other requirements than suite ${quote(earlier.suite)} does; expected one stack per workload (define the workload in two folders under two names)`,
        )
      chosen.set(def.manifest.name, { def, suite: d.name })
    }
    measured.set(d.name, defs)
    suites.push({
      name: d.name,
      description: d.description ?? `The workloads of ${d.path} (${config?.file ?? 'the configuration'}).`,
      workloads: defs.map((w) => w.manifest.name),
    })
  }
  const workloads = loaded.workloads.map((w) => chosen.get(w.manifest.name)?.def ?? w)
  return {
    workloads,
    suites,
    suiteWorkloads: (name) => measured.get(name) ?? resolveSuite(name, workloads, suites),
  }
}

/** The folder's workloads a defined suite names, in its order; all of them when it names none. */
function selectFromFolder(
  d: DefinedSuite,
  inFolder: readonly WorkloadDefinition[],
  problem: (text: string) => LangperfError,
): WorkloadDefinition[] {
  if (d.workloads === null) return [...inFolder]
  const byName = new Map(inFolder.map((w) => [w.manifest.name, w]))
  return d.workloads.map((name) => {
    const w = byName.get(name)
    if (w === undefined)
      throw problem(
        `names ${quote(name)}, expected a workload of ${quote(d.path, 200)}: ${[...byName.keys()].join(', ')}`,
      )
    return w
  })
}
