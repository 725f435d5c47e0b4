// Builds commits of a runtime from a langperf.toml with the build room, and prints one JSON line
// per build on stdout (progress on stderr). Used by scripts/real-cpython.sh; handy on its own:
//
//   node --import tsx scripts/build-runtime.ts langperf.toml cpython default main~2 main [--rebuild]
//
// Exit status: 0 when every build ended (ok, failed or unsupported: all are recorded),
// 2 bad arguments or configuration, 3 git or the disk failed.
import { readFileSync } from 'node:fs'
import { cachePaths, ensureBuilt, ensureMirror, resolveJobs } from '../src/build/index.ts'
import { parseConfig } from '../src/config/index.ts'
import { LangperfError } from '../src/lib/index.ts'

function usage(message: string): never {
  process.stderr.write(
    `${message}\nUsage: node --import tsx scripts/build-runtime.ts <langperf.toml> <runtime> <config> <rev>… [--rebuild]\n`,
  )
  process.exit(2)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const rebuild = args.includes('--rebuild')
  const [file, runtimeName, configName, ...revs] = args.filter((a) => a !== '--rebuild')
  if (file === undefined || runtimeName === undefined || configName === undefined || revs.length === 0) {
    usage('Cannot build: expected a configuration file, a runtime, a config and at least one revision')
  }
  const config = parseConfig(readFileSync(file, 'utf8'), file)
  const runtime = config.runtimes.find((r) => r.name === runtimeName)
  if (runtime === undefined) {
    usage(
      `Cannot build runtime "${runtimeName}": expected one of ${config.runtimes.map((r) => r.name).join(', ')}`,
    )
  }
  const buildConfig = runtime.configs.find((c) => c.name === configName)
  if (buildConfig === undefined) {
    usage(
      `Cannot build config "${configName}": expected one of ${runtime.configs.map((c) => c.name).join(', ')}`,
    )
  }
  const jobs = resolveJobs(config.build.jobs)
  const mirror = await ensureMirror(runtime.remote, cachePaths(config.build.cacheDir).mirrors, {
    onLog: (line) => process.stderr.write(`${line}\n`),
  })
  for (const rev of revs) {
    const artifact = await ensureBuilt(
      { runtime: runtime.name, config: buildConfig.name, recipe: buildConfig.recipe, mirror, commit: rev },
      {
        cacheDir: config.build.cacheDir,
        jobs,
        stepTimeoutMs: config.build.stepTimeoutMs,
        maxCacheBytes: config.build.cacheMaxBytes,
        rebuild,
        onEvent: (event) => {
          const stamp = new Date().toISOString().slice(11, 19)
          switch (event.kind) {
            case 'step-start':
              process.stderr.write(`${stamp} ${event.key.slice(0, 12)} ${event.step}: ${event.command}\n`)
              break
            case 'step-end':
              process.stderr.write(
                `${stamp} ${event.key.slice(0, 12)} ${event.step}: ${event.ok ? 'ok' : 'FAILED'} in ${(event.durationMs / 1000).toFixed(1)} s\n`,
              )
              break
            default:
              process.stderr.write(`${stamp} ${JSON.stringify(event)}\n`)
          }
        },
      },
    )
    const m = artifact.manifest
    process.stdout.write(
      `${JSON.stringify({
        rev,
        commit: m.commit,
        runtime: m.runtime,
        config: m.config,
        status: m.status,
        cached: artifact.cached,
        buildDurationMs: m.buildDurationMs,
        steps: m.steps.map((s) => ({ name: s.name, durationMs: s.durationMs, exitCode: s.exitCode })),
        failure: m.failure === null ? null : { step: m.failure.step, reason: m.failure.reason },
        executablePath: m.executablePath,
        sizeBytes: m.sizeBytes,
        logPath: m.logPath,
      })}\n`,
    )
  }
}

main().catch((error: unknown) => {
  if (error instanceof LangperfError) {
    process.stderr.write(`${error.message}\n`)
    process.exit(error.code === 'bad-input' || error.code === 'not-found' ? 2 : 3)
  }
  throw error
})
