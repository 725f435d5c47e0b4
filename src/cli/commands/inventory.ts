import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { LangperfError, quote } from '../../lib/index.ts'
import { inferBuildConfig, interpreterLabel, WORKLOAD_NAME_RE } from '../../model/index.ts'
import {
  discoverInterpreters,
  loadWorkload,
  loadWorkloadCatalog,
  loadWorkloadSets,
} from '../../runner/index.ts'
import type { CommonOptions, Ctx } from '../context.ts'
import { printJson, println, table } from '../output.ts'
import { optionalConfig } from './pipeline-options.ts'

/** `langperf interpreters`: what discovery finds, identified by what each reports. */
export async function interpretersCommand(
  ctx: Ctx,
  options: CommonOptions & { readonly python?: readonly string[] },
): Promise<number> {
  const found = await discoverInterpreters({
    env: ctx.env,
    ...(options.python ? { explicit: options.python, alsoDiscover: true } : {}),
  })
  if (options.json) {
    printJson(ctx.io, found)
    return 0
  }
  println(
    ctx.io,
    table(
      ['interpreter', 'config', 'jit', 'free-threading', 'executable', 'found as'],
      found.interpreters.map((i) => [
        interpreterLabel(i.info),
        inferBuildConfig(i.info),
        i.info.jit,
        i.info.freeThreading,
        i.info.executable,
        `${i.foundAs} (${i.origin})`,
      ]),
    ),
  )
  for (const r of found.rejected) println(ctx.io, `not usable: ${r.path} (${r.origin}): ${r.reason}`)
  return 0
}

/**
 * `langperf workloads`: the built-in workloads and suites, those of `--workloads` folders, and the
 * suites the configuration defines (`[[suites.define]]`).
 */
export async function workloadsCommand(
  ctx: Ctx,
  options: CommonOptions & { readonly workloads?: readonly string[]; readonly config?: string },
): Promise<number> {
  const { workloads, suites } = await loadWorkloadCatalog(
    await optionalConfig(options),
    options.workloads ?? [],
  )
  if (options.json) {
    printJson(ctx.io, { workloads, suites })
    return 0
  }
  println(
    ctx.io,
    table(
      ['workload', 'version', 'needs', 'tags', 'description'],
      workloads.map((w) => [
        w.manifest.name,
        w.version,
        `py${w.manifest.requiresPython}+${w.manifest.requirements?.length ? `, ${w.manifest.requirements.length} packages` : ''}`,
        w.manifest.tags.join(','),
        w.manifest.description,
      ]),
    ),
  )
  println(ctx.io)
  for (const s of suites) println(ctx.io, `suite ${s.name} (${s.workloads.length}): ${s.description}`)
  return 0
}

/** The manifest of a new workload's skeleton: every field, standard library only. */
function skeletonManifest(name: string): string {
  const manifest = {
    name,
    description:
      'Sums the squares of a list of integers (replace with what your workload does, in one sentence).',
    tags: ['micro', 'numeric'],
    language: 'python',
    entry: 'workload.py',
    parameters: { size: 100000 },
    innerLoops: 1,
    requiresPython: '3.6',
  }
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** The workload.py of a new skeleton: the contract of workloads/README.md, with a self-check. */
function skeletonWorkload(name: string): string {
  return `"""${name}: a workload of your own for langperf (see workloads/README.md, "The contract").

Requirements: list pinned packages in manifest.json, e.g. "requirements": ["numpy==2.0.2"];
langperf installs them into a virtual environment per interpreter.
"""


def make(params):
    # Build every input here, from params only; make() runs once per process, untimed.
    size = params["size"]
    data = list(range(size))

    def step():
        # The timed work: the same on every call, roughly 2-50 ms.
        return sum(x * x for x in data)

    # Check the result once, against an independent computation (the sum of squares formula).
    expected = (size - 1) * size * (2 * size - 1) // 6
    found = step()
    if found != expected:
        raise AssertionError("${name}: sum of squares is %r, expected %r" % (found, expected))
    return step
`
}

/** \`langperf workloads new NAME\`: writes a skeleton that passes validation and runs as is. */
export async function newWorkloadCommand(
  ctx: Ctx,
  name: string,
  options: { readonly dir?: string },
): Promise<number> {
  if (!WORKLOAD_NAME_RE.test(name))
    throw new LangperfError(
      'bad-input',
      `Cannot create workload ${quote(name)}: expected a name matching ${WORKLOAD_NAME_RE} (lower case letters, digits, _ . -)`,
    )
  const builtIn = (await loadWorkloadSets([])).workloads.map((w) => w.manifest.name)
  if (builtIn.includes(name))
    throw new LangperfError(
      'bad-input',
      `Cannot create workload ${quote(name)}: expected a name of its own, found a built-in workload of that name`,
    )
  const dir = join(resolve(options.dir ?? '.'), name)
  if (existsSync(dir))
    throw new LangperfError(
      'bad-input',
      `Cannot create workload ${quote(name)}: ${quote(dir, 200)} exists already`,
    )
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'manifest.json'), skeletonManifest(name))
  await writeFile(join(dir, 'workload.py'), skeletonWorkload(name))
  const def = await loadWorkload(dir)
  println(
    ctx.io,
    `Wrote ${join(dir, 'manifest.json')} and ${join(dir, 'workload.py')} (version ${def.version}).`,
  )
  println(
    ctx.io,
    `Run it: langperf run --workloads ${resolve(options.dir ?? '.')} --workload ${name} --fast --python python3`,
  )
  return 0
}
