import { quote } from '../lib/index.ts'
import { CPYTHON_NAMED_CONFIGS, requirementName } from '../model/index.ts'
import { expectation, type Problem } from './errors.ts'
import { defaultRecipe } from './resolve.ts'
import type { RawBuildConfig, RawConfig, RawNotify, RawRuntime } from './schema.ts'
import { cronProblem, NAME_RE } from './values.ts'

// The checks that need more than one key, after the schema has checked each key: recipes against
// runtime families, each notification kind's own keys, names that must be unique, and sections
// that name runtimes defined elsewhere in the file.

/** Checks that need more than one key: recipes against families, references between sections. */
export function crossCheck(cfg: RawConfig): Problem[] {
  const problems: Problem[] = []
  const runtimes = cfg.runtimes ?? []
  const names = new Set<string>()
  runtimes.forEach((rt, i) => {
    if (names.has(rt.name))
      problems.push({
        path: ['runtimes', i, 'name'],
        text: `repeats ${quote(rt.name)}, expected unique runtime names`,
      })
    names.add(rt.name)
    if (rt.configs === undefined && rt.family !== 'cpython') {
      problems.push({
        path: ['runtimes', i, 'configs'],
        text: `is missing, expected at least one [runtimes.configs.<name>] table: a ${rt.family} runtime is built by the commands of a generic recipe`,
      })
    }
    for (const [configName, def] of Object.entries(rt.configs ?? {})) {
      problems.push(...checkBuildConfig(rt, i, configName, def))
    }
  })
  const machineNames = new Set<string>()
  ;(cfg.machines ?? []).forEach((m, i) => {
    if (machineNames.has(m.name)) {
      problems.push({
        path: ['machines', i, 'name'],
        text: `repeats ${quote(m.name)}, expected unique machine names`,
      })
    }
    machineNames.add(m.name)
  })
  const known = [...names].join(', ') || '(no runtimes defined)'
  for (const key of Object.keys(cfg.suites?.runtimes ?? {})) {
    if (!names.has(key))
      problems.push({ path: ['suites', 'runtimes', key], text: `names no runtime, expected one of ${known}` })
  }
  problems.push(...checkDefinedSuites(cfg))
  for (const key of Object.keys(cfg.baselines ?? {})) {
    if (!names.has(key))
      problems.push({ path: ['baselines', key], text: `names no runtime, expected one of ${known}` })
  }
  if (cfg.schedule?.at !== undefined && cfg.schedule.cron !== undefined) {
    problems.push({ path: ['schedule'], text: 'has both "at" and "cron", expected one of them' })
  }
  if (cfg.schedule?.cron !== undefined) {
    const problem = cronProblem(cfg.schedule.cron)
    if (problem !== null) problems.push({ path: ['schedule', 'cron'], text: `expected ${problem}` })
  }
  if (cfg.store?.location !== undefined && cfg.store.location_env !== undefined) {
    problems.push({ path: ['store'], text: 'has both "location" and "location_env", expected one of them' })
  }
  ;(cfg.notify ?? []).forEach((n, i) => {
    problems.push(...checkNotify(n, i))
  })
  return problems
}

/**
 * `[[suites.define]]`: names unique, a workload listed once, a distribution overridden once.
 * Whether the folder exists, and whether a name clashes with a built-in suite, is checked when a
 * command loads the suites (this room reads no disk).
 */
function checkDefinedSuites(cfg: RawConfig): Problem[] {
  const problems: Problem[] = []
  const names = new Set<string>()
  ;(cfg.suites?.define ?? []).forEach((d, i) => {
    if (names.has(d.name))
      problems.push({
        path: ['suites', 'define', i, 'name'],
        text: `repeats ${quote(d.name)}, expected unique suite names`,
      })
    names.add(d.name)
    const twice = (d.workloads ?? []).find((w, j, all) => all.indexOf(w) !== j)
    if (twice !== undefined)
      problems.push({
        path: ['suites', 'define', i, 'workloads'],
        text: `lists ${quote(twice)} twice, expected each workload once`,
      })
    const dists = (d.requirements_override ?? []).map(requirementName)
    const again = dists.find((n, j) => dists.indexOf(n) !== j)
    if (again !== undefined)
      problems.push({
        path: ['suites', 'define', i, 'requirements_override'],
        text: `pins ${quote(again)} twice, expected each distribution once`,
      })
  })
  return problems
}

const CPYTHON_ONLY_KEYS = ['configure'] as const
const GENERIC_ONLY_KEYS = ['fetch', 'build', 'install', 'executable'] as const

function checkBuildConfig(rt: RawRuntime, i: number, configName: string, def: RawBuildConfig): Problem[] {
  const at = (...rest: PropertyKey[]) => ['runtimes', i, 'configs', configName, ...rest]
  const problems: Problem[] = []
  if (!NAME_RE.test(configName)) {
    problems.push({ path: at(), text: `is not a valid config name, expected ${expectation('name')}` })
  }
  const recipe = def.recipe ?? defaultRecipe(rt.family)
  if (recipe === 'cpython') {
    if (rt.family !== 'cpython') {
      problems.push({
        path: at('recipe'),
        text: `expected "generic" for a runtime of family ${quote(rt.family)}, found "cpython" (the cpython recipe builds CPython only)`,
      })
    }
    for (const key of GENERIC_ONLY_KEYS) {
      if (def[key] !== undefined) {
        problems.push({
          path: at(key),
          text: `is not used by the cpython recipe, expected it only with recipe = "generic"`,
        })
      }
    }
    if (def.configure === undefined && !(configName in CPYTHON_NAMED_CONFIGS)) {
      problems.push({
        path: at('configure'),
        text: `is missing, expected an array of configure arguments (only ${Object.keys(CPYTHON_NAMED_CONFIGS).join(', ')} are predefined)`,
      })
    }
  } else {
    for (const key of CPYTHON_ONLY_KEYS) {
      if (def[key] !== undefined) {
        problems.push({
          path: at(key),
          text: 'is not used by the generic recipe, expected it only with recipe = "cpython"',
        })
      }
    }
    if (def.executable === undefined) {
      problems.push({
        path: at('executable'),
        text: 'is missing, expected the executable path inside the install prefix, such as "bin/pypy3"',
      })
    }
    if ((def.fetch?.length ?? 0) + (def.build?.length ?? 0) + (def.install?.length ?? 0) === 0) {
      problems.push({
        path: at(),
        text: 'has no commands, expected at least one line in fetch, build or install',
      })
    }
  }
  return problems
}

function checkNotify(n: RawNotify, i: number): Problem[] {
  const allowed: Record<RawNotify['kind'], readonly string[]> = {
    webhook: ['url', 'url_env'],
    email: ['smtp_host', 'smtp_port', 'smtp_security', 'from', 'to', 'username_env', 'password_env'],
    github: ['repo', 'token_env', 'api_url'],
  }
  const required: Record<RawNotify['kind'], readonly (readonly string[])[]> = {
    webhook: [['url', 'url_env']],
    email: [['smtp_host'], ['from'], ['to']],
    github: [['repo'], ['token_env']],
  }
  const problems: Problem[] = []
  const present = Object.entries(n)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
  for (const key of present) {
    if (key === 'kind' || key === 'name' || allowed[n.kind].includes(key)) continue
    problems.push({
      path: ['notify', i, key],
      text: `is not used by kind = ${quote(n.kind)}, expected only ${['kind', 'name', ...allowed[n.kind]].join(', ')}`,
    })
  }
  for (const alternatives of required[n.kind]) {
    const found = alternatives.filter((k) => present.includes(k))
    if (found.length === 0) {
      problems.push({
        path: ['notify', i, alternatives[0] as string],
        text: `is missing, expected ${alternatives.map((k) => quote(k)).join(' or ')} for kind = ${quote(n.kind)}`,
      })
    } else if (found.length > 1) {
      problems.push({
        path: ['notify', i],
        text: `has both ${found.map((k) => quote(k)).join(' and ')}, expected one of them`,
      })
    }
  }
  return problems
}
