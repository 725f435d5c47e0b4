import { inferBuildConfig, interpreterLabel } from '../../model/index.ts'
import { discoverInterpreters, loadSuites, loadWorkloads } from '../../runner/index.ts'
import type { CommonOptions, Ctx } from '../context.ts'
import { printJson, println, table } from '../output.ts'

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

/** `langperf workloads`: the built-in workloads and suites. */
export async function workloadsCommand(ctx: Ctx, options: CommonOptions): Promise<number> {
  const [workloads, suites] = await Promise.all([loadWorkloads(), loadSuites()])
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
        `py${w.manifest.requiresPython}+`,
        w.manifest.tags.join(','),
        w.manifest.description,
      ]),
    ),
  )
  println(ctx.io)
  for (const s of suites) println(ctx.io, `suite ${s.name} (${s.workloads.length}): ${s.description}`)
  return 0
}
