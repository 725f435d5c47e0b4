import type { Command } from 'commander'
import { DEFAULT_MIN_EFFECT, TRIAGE_STATES } from '../model/index.ts'
import type { NotifySendOptions, NotifyTestOptions } from './commands/notify.ts'
import type { Ctx } from './context.ts'
import {
  alertId,
  collect,
  common,
  DEFAULT_PORTAL_URL,
  duration,
  number,
  percent,
  valuesOption,
  withSamplingOptions,
} from './options.ts'

// The command line itself: every command's arguments, options and help text. An action imports
// its implementation (commands/*.ts) when it runs, so that `langperf --help`, or one command,
// loads neither the modules nor the packages of the others (fastify, kysely, zod, …): keep this
// file's imports to commander, options.ts, model/ and types.

/** Registers `langperf run` (measure interpreters × a suite) on the program. */
export function addRunCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('run')
      .description(
        'Measure interpreters × a suite: fresh processes, calibrated loops frozen per workload, interleaved A B / B A,\n' +
          'every raw value stored; then print each interpreter against the first',
      )
      .option(
        '-s, --suite <name>',
        'suite to run (see `langperf workloads`; default: default): built-in, of a --workloads folder, or defined in langperf.toml ([[suites.define]])',
      )
      .option('-w, --workload <name>', 'run only this workload (repeatable; overrides --suite)', collect)
      .option(
        '--workloads <dir>',
        'also load the workloads of this folder (repeatable; workloads/README.md, "Your own workloads"); with neither --workload nor --suite, run all of them',
        collect,
      )
      .option(
        '--requirements-override <req>',
        'replace the pin of one distribution in the workloads that list it, e.g. numpy==1.26.4 (repeatable); each stack is a series of its own',
        collect,
      )
      .option(
        '--system-packages',
        'workloads with requirements run on the interpreter\'s own packages (e.g. Debian\'s python3-numpy), not in a virtual environment: each required distribution must be importable there, the versions found are recorded, and the results are series of their own (workloads/README.md, "System packages and BLAS")',
      )
      .option(
        '--blas <variant>',
        "with --system-packages: the BLAS the workers load, reference, openblas, blis or a directory holding libblas.so.3, put first on their LD_LIBRARY_PATH (the system's alternatives are left alone); refused, naming the Debian package, when absent; a workload whose numpy loaded another BLAS fails",
      )
      .option(
        '--system-path <dir>',
        "with --system-packages: put this directory of packages first on the workers' PYTHONPATH (repeatable), e.g. Debian's /usr/lib/python3/dist-packages for a pyenv CPython or another interpreter that does not search it; recorded with each result",
        collect,
      )
      .option(
        '--cache-dir <dir>',
        "langperf's cache, where workloads with requirements get their virtual environments (default: [build] cache_dir of langperf.toml, else .cache/langperf)",
      )
      .option(
        '--config <path>',
        'configuration file naming the cache and defining suites (default ./langperf.toml when present)',
      )
      .option(
        '-p, --python <path>',
        'interpreter to measure (repeatable); without it, every interpreter found on PATH and in pyenv',
        collect,
      )
      .option('--discover', 'with --python: also measure the interpreters discovery finds')
      .option('--fast', 'quick look: 6 processes × (1 warm-up + 3 values); JIT: 4 × (6 + 4)')
      .option('--rigorous', 'careful: 40 processes × (1 + 3); JIT: 12 × (20 + 10)')
      .option(
        '--warmup-series <iterations>',
        'warm-up series (Barrett et al. 2017): every process times this many in-process iterations of one call each (loops 1;\n' +
          'with --min-time, loops calibrated to it), none dropped, JIT or not; 10 processes unless --processes.\n' +
          '`langperf warmup RUN` classifies each process as flat, warm-up, slow-down or no steady state',
        number('--warmup-series', true),
      )
      .option(
        '--cpu-time',
        "with --warmup-series: time each iteration by the worker's CPU time (time.process_time, Python 3.3+) instead of the\n" +
          'wall clock, so time spent waiting for a CPU on a loaded machine is left out of the series',
      )
      .option(
        '--measure <what>',
        "time (default) or instructions: count each workload's instructions per loop under valgrind's callgrind on the\n" +
          "interpreter's real executable (PYTHONHASHSEED=0, a fixed environment; one count per interpreter, about 50× slower\n" +
          'than the workload plus ~10 s per process pair); perf hardware counters and RAPL energy are probed and recorded, or\n' +
          '"not available on this machine" (docs/stats.md, "Instruction counts")',
      )
      .option('--processes <n>', 'override the number of processes', number('--processes', true))
      .option('--warmups <n>', 'override warm-ups per process', number('--warmups', true))
      .option(
        '--values <n|auto>',
        'override values per process; auto: per workload, the number that reaches the same interval for the least machine\n' +
          "time given its earlier runs' within- and between-process noise and what a process and a value cost (two-stage\n" +
          "allocation, 2 to 20; workloads without an earlier run keep the preset's; not for JIT interpreters) (docs/stats.md)",
        valuesOption,
      )
      .option(
        '--min-time <seconds>',
        'minimum duration of one value; loops are calibrated to reach it (default 0.1)',
        number('--min-time', false),
      )
      .option(
        '--timeout <seconds>',
        'kill a worker process after this long (default 600)',
        number('--timeout', false),
      )
      .option('--machine <name>', 'machine name to record (default: hostname)')
      .option(
        '--precision <percent>',
        'adaptive sampling (`1` or `1%`): keep starting processes until the 95 % interval of each mean (of each ratio to the first interpreter, with several) is within ± this many percent, or a ratio is beyond doubt; --processes is then the minimum (default 4)',
        percent('--precision'),
      )
      .option(
        '--max-processes <n>',
        'with --precision: the most processes per interpreter and workload (default 40)',
        number('--max-processes', true),
      )
      .option(
        '--max-time <duration>',
        'with --precision: a time budget for the whole run (90s, 10m, 1h); each workload gets an even share of what is left when it starts and starts no round that would end after it; a workload stopped so is recorded as not settled (reason budget); the minimum of processes is always measured',
        duration('--max-time'),
      )
      .option(
        '--cpus <list>',
        "where workers run (with taskset): auto (default) puts every worker on one CPU, the same each run: the CPUs isolated from the scheduler if the machine has some, else the highest-numbered CPU (a process's CPU can move its time by a third on a VM or a hybrid CPU); none lets the scheduler place them; or a list like 1 or 2-3",
      )
      .option(
        '--recalibrate',
        "calibrate every workload's loops again (by default an interpreter reuses the loop counts of its earlier runs on this machine, so its runs stay comparable)",
      )
      .option('--no-progress', 'no progress bar')
      .addHelpText(
        'after',
        [
          '',
          'Numeric and web stacks (workloads/README.md, "Requirements", "Server workloads"):',
          '  langperf run -p /usr/bin/python3 --suite numeric-stack                   # pip wheels, pinned, in a venv',
          '  langperf run -p /usr/bin/python3 --suite numeric-stack --requirements-override numpy==1.26.4',
          "  langperf run -p /usr/bin/python3 -w np_matmul --system-packages --blas openblas   # Debian's numpy on OpenBLAS",
          '  langperf run -p ~/.pyenv/versions/3.9.18/bin/python3.9 -p pypy3 --suite web --system-packages \\',
          "      --system-path /usr/lib/python3/dist-packages                        # Debian's Django 3.2 and gunicorn 20.1",
          '  langperf compare RUN_A RUN_B --allow-version-mismatch                   # each stack is its own run and series',
          "--blas needs Debian's python3-numpy and the variant: libblas3 liblapack3 (reference), libopenblas0-pthread, libblis4-pthread.",
        ].join('\n'),
      ),
  ).action(async (opts) => {
    const { runCommand } = await import('./commands/run.ts')
    setStatus(await runCommand(ctx, opts))
  })
}

/** Registers `langperf compare` (two runs workload by workload) on the program. */
export function addCompareCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('compare')
      .description(
        'Compare two runs workload by workload: ratio of per-process means with its 95 % interval and a verdict,\n' +
          'slowest first, and the geometric mean. A and B: a run id, "latest" (the run stored last), a version (3.12.1), runtime-version\n' +
          "(cpython-3.12.1), a commit prefix (its newest run), or base:RUN, the run of the merge base that RUN's build\n" +
          "records on the same machine and config (a fork's branch point: `langperf compare base:57 57` is what run 57's\n" +
          'experiment did)',
      )
      .argument('<base>', 'the reference run')
      .argument('<candidate>', 'the run compared with it')
      .option(
        '--fail-on-slowdown <pct>',
        'exit with status 1 when a workload or the geometric mean is significantly slower by PCT % or more',
        number('--fail-on-slowdown', false),
      )
      .option(
        '--min-effect <pct>',
        `do not call changes smaller than PCT %, however significant (default ${DEFAULT_MIN_EFFECT * 100}; 0: the interval decides alone)`,
        number('--min-effect', false),
      )
      .option('--tag <tag>', 'only workloads with this tag (repeatable)', collect)
      .option(
        '--allow-version-mismatch',
        'also compare workloads whose versions differ (e.g. another benchmark_hash); marked in the table',
      )
      .addHelpText(
        'after',
        [
          '',
          'Runs measured together (one `langperf run` of both interpreters, or a nightly pair) are compared on',
          'their own processes. Runs measured apart also carry the noise between runs (docs/stats.md,',
          '"Comparing separate runs"): learned from repeated runs of the same builds on their machine, else',
          'read from the successive builds of their line there (9 or more), else a stated 2 % per run; the',
          'output says which, and what the runs did not share (infrastructure, loop counts, load).',
          '  langperf compare 41 42                        # two runs by id',
          '  langperf compare cpython-3.12.1 latest --tag micro',
          '  langperf compare 41 42 --fail-on-slowdown 5   # exit 1 on a significant slowdown of 5 % or more (CI)',
        ].join('\n'),
      ),
  ).action(async (a, b, opts) => {
    const { compareCommand } = await import('./commands/compare.ts')
    setStatus(await compareCommand(ctx, a, b, opts))
  })
}

/** Registers `langperf show` (list runs, or show one) on the program. */
export function addShowCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('show')
      .description(
        'List runs, or show one run (id, "latest" = the run stored last, version or commit prefix) with its environment and results',
      )
      .argument('[run]', 'run to show')
      .option('--limit <n>', 'runs per page (default 20)', number('--limit', true))
      .option('--offset <n>', 'skip this many runs', number('--offset', true))
      .option('--samples', 'with --json and a run: include every raw sample'),
  ).action(async (run, opts) => {
    const { showCommand } = await import('./commands/show.ts')
    setStatus(await showCommand(ctx, run, opts))
  })
}

/** Registers `langperf warmup` (the warm-up class of each workload of a run) on the program. */
export function addWarmupCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('warmup')
      .description(
        'Classify the warm-up of each workload of a run (best made with `langperf run --warmup-series N`), after\n' +
          'Barrett et al. (OOPSLA 2017): per process, outliers out (rolling median ± 3 × (P90 − P10)), PELT change points\n' +
          '(normal mean and variance, penalty 15·ln n), then flat, warm-up, slow-down or no steady state; per workload, that\n' +
          'class when all agree, else good inconsistent (flat and warm-up only) or bad inconsistent; the steady iteration,\n' +
          'the time to reach it and the steady performance with 95 % bootstrap intervals over processes (docs/stats.md)',
      )
      .argument('<run>', 'run id, "latest" (the run stored last), a version or a commit prefix')
      .option(
        '--per-process',
        'also print every process: class, steady iteration, change points and segments',
      ),
  ).action(async (run, opts) => {
    const { warmupCommand } = await import('./commands/warmup.ts')
    setStatus(await warmupCommand(ctx, run, opts))
  })
}

/** Registers `langperf import` and `langperf export` (pyperf JSON in and out) on the program. */
export function addInterchangeCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('import')
      .description(
        'Import result files (all or none: a bad file leaves the database unchanged). pyperf JSON 1.0, plain or gzipped;\n' +
          'every value and metadata key is kept, including commit_id, commit_date, commit_branch, benchmark_hash.\n' +
          'Each build is placed on its line of development (docs/lineage.md): by git ancestry with --repo, else by rules —\n' +
          'a recorded branch as is, an alpha tag (v3.13.0a4) or alpha version (3.14.0a0+) on main, any other tag or\n' +
          "version (v3.13.0b1, 3.13.0b1+) on its X.Y branch, a fork's commit on fork/branch. The config comes from the\n" +
          "file name's -FLAGS after the commit hash (bench_runner: -JIT, -NOGIL, -PYTHON_UOPS), else from its\n" +
          "directory's (bench_runner's results/bm-…-<sha>-JIT/ layout), else default; the import says which.\n" +
          'A directory is walked for .json and .json.gz files; one found there that is no pyperf result (pystats)\n' +
          'is skipped and named. Importing a file again stores nothing new: it re-keys its build if the placement changed,\n' +
          'and moves its run to the build it reads as now when it names the config where the import that stored it did not\n' +
          '(a bench_runner tree after a copy that lost the flags); run detect afterwards to re-judge.\n' +
          'Every file is read and checked first, then the new runs are stored in one transaction; a tree of\n' +
          'gigabytes is read twice rather than held in memory, with progress on stderr for 100 files or more.',
      )
      .argument('<format>', 'file format: pyperf')
      .argument('<files...>', 'files or directories to import (e.g. a bench_runner results/ tree)')
      .option('--runtime <name>', 'runtime family instead of python_implementation (e.g. pypy)')
      .option(
        '--config <name>',
        'build config instead of the flags in the file or directory name (e.g. pgo-lto, jit)',
      )
      .option('--machine <name>', 'machine name instead of the hostname metadata')
      .option('--branch <name>', 'line of development instead of the placement rules (e.g. main)')
      .option(
        '--repo <path>',
        "the runtime's git repository: place and order commits by first-parent ancestry",
      )
      .option('--strict', 'refuse the whole batch when any file contradicts itself or the repository'),
  ).action(async (format, files, opts) => {
    const { importCommand } = await import('./commands/interchange.ts')
    setStatus(await importCommand(ctx, format, files, opts))
  })

  common(
    program
      .command('export')
      .description(
        'Export a run as pyperf JSON 1.0 (readable by `python -m pyperf` tools); an imported run gives back its file',
      )
      .argument('<format>', 'file format: pyperf')
      .argument('<run>', 'run id, "latest" (the run stored last), a version or a commit prefix')
      .option('-o, --out <file>', 'write to FILE (gzipped when it ends in .gz) instead of stdout')
      .option('--gzip', 'gzip the output'),
  ).action(async (format, run, opts) => {
    const { exportCommand } = await import('./commands/interchange.ts')
    setStatus(await exportCommand(ctx, format, run, opts))
  })
}

/** Registers `langperf system check` (is the machine set up for benchmarking?) on the program. */
export function addSystemCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  const system = program
    .command('system')
    .summary('Is this machine set up for benchmarking?')
    .description('The machine: is it set up for benchmarking?')
  common(
    system
      .command('check')
      .description(
        'Print the machine fingerprint and tuning (governor, turbo, SMT, ASLR, load, isolated CPUs) with advice for each problem',
      )
      .option('--strict', 'exit with status 1 when there is any warning'),
  ).action(async (opts) => {
    const { systemCheck } = await import('./commands/system.ts')
    setStatus(await systemCheck(ctx, opts))
  })
}

/** Registers `langperf interpreters` and `langperf workloads` (what can be measured) on the program. */
export function addInventoryCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('interpreters')
      .description(
        'List the interpreters found on PATH and in pyenv, identified by what each reports about itself',
      )
      .option('-p, --python <path>', 'also describe this interpreter (repeatable)', collect),
  ).action(async (opts) => {
    const { interpretersCommand } = await import('./commands/inventory.ts')
    setStatus(await interpretersCommand(ctx, opts))
  })

  const workloads = program
    .command('workloads')
    .summary('List the workloads and suites, or start one of your own')
    .description('The workloads and suites: list them, or start one of your own')
  common(
    workloads
      .command('list', { isDefault: true })
      .description(
        'List the built-in workloads and suites, those of --workloads folders and the suites langperf.toml defines ([[suites.define]])',
      )
      .option('--workloads <dir>', 'also list the workloads of this folder (repeatable)', collect)
      .option(
        '--config <path>',
        'configuration file whose [[suites.define]] to list (default ./langperf.toml when present)',
      ),
  ).action(async (opts) => {
    const { workloadsCommand } = await import('./commands/inventory.ts')
    setStatus(await workloadsCommand(ctx, opts))
  })
  workloads
    .command('new')
    .description(
      'Write the skeleton of a workload of your own (manifest.json and workload.py) that passes validation and runs as is',
    )
    .argument('<name>', 'workload name: lower case letters, digits, _ . - (also its directory name)')
    .option('--dir <dir>', 'folder to create it in, as <dir>/<name> (default: the current directory)')
    .action(async (name, opts) => {
      const { newWorkloadCommand } = await import('./commands/inventory.ts')
      setStatus(await newWorkloadCommand(ctx, name, opts))
    })
}

/** Adds `detect` and `alerts list|show|triage` to the program. */
export function addAlertCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  common(
    program
      .command('detect')
      .description(
        'Find the commits that changed performance in every stored series (or a filter): E-Divisive change points\n' +
          'confirmed on between-build noise, a provisional verdict on the newest build. A step across an infrastructure\n' +
          'change (kernel, CPU setting, suite or harness upgrade, compiler) is infrastructure when the suite moved with it,\n' +
          'a commit in the range when it stands out. Instruction counts (run --measure instructions) are judged apart,\n' +
          'exactly: a step of at least --exact-threshold between consecutive builds that the next build keeps. Partial\n' +
          "runs (under half the workloads their group's runs hold: a benchmark re-run alone) and bisection runs stay out\n" +
          'of the histories. Records changes grouped by blame range into alerts; running it again over the same data\n' +
          'changes nothing. As builds arrive, a provisional change no longer reported is withdrawn, and a confirmed one\n' +
          'is retracted (with the reason, triage kept) once the builds around its blame (12 after it, or at least as\n' +
          'many as it was confirmed on) no longer show a step there, judged with a margin against flicker (docs/stats.md)',
      )
      .option('--machine <name>', 'only this machine')
      .option('--runtime <name>', 'only this runtime')
      .option('--config <name>', 'only this build config')
      .option('--branch <name>', 'only this branch')
      .option('--workload <name>', 'only this workload')
      .option('--p-value <p>', 'significance a change must reach (default 0.001)', number('--p-value', false))
      .option(
        '--min-magnitude <pct>',
        'smallest change reported, in percent (default 1)',
        number('--min-magnitude', false),
      )
      .option(
        '--noise-multiplier <k>',
        "smallest change reported is also k × the series' between-build noise (default 1)",
        number('--noise-multiplier', false),
      )
      .option('--window <n>', 'E-Divisive window in builds (default 50)', number('--window', true))
      .option(
        '--exact-threshold <pct>',
        "smallest step between two builds' instruction counts reported, in percent (default 0.5)",
        number('--exact-threshold', false),
      ),
  ).action(async (opts) => {
    const { detectCommand } = await import('./commands/alerts.ts')
    setStatus(await detectCommand(ctx, opts))
  })

  const alerts = program
    .command('alerts')
    .summary('Detected changes grouped by blame range: list, show, triage')
    .description(
      'Alerts: detected changes grouped by blame range, with triage states (new, acknowledged, invalid, fixed, wont-fix)',
    )
  common(
    alerts
      .command('list', { isDefault: true })
      .description('Open alerts (new and acknowledged, not withdrawn), newest first')
      .option('--triage <state>', 'only alerts in this triage state (repeatable)', collect)
      .option('--all', 'every alert, triaged and withdrawn ones too')
      .option('--runtime <name>', 'only this runtime')
      .option('--kind <kind>', 'only commit or infrastructure alerts')
      .option('--machine <name>', 'only alerts with a change on this machine')
      .option('--limit <n>', 'alerts per page (default 50)', number('--limit', true))
      .option('--offset <n>', 'skip this many alerts', number('--offset', true)),
  ).action(async (opts) => {
    const { alertsListCommand } = await import('./commands/alerts.ts')
    setStatus(await alertsListCommand(ctx, opts))
  })
  common(
    alerts
      .command('show')
      .description(
        'One alert with every change, and what the other machines measuring its workloads (same runtime, config\n' +
          'and branch) saw across its blame range: moved, not moved, unclear or not measured (docs/dashboard.md)',
      )
      .argument('<id>', 'alert id'),
  ).action(async (id, opts) => {
    const { alertsShowCommand } = await import('./commands/alerts.ts')
    setStatus(await alertsShowCommand(ctx, id, opts))
  })
  common(
    alerts
      .command('triage')
      .description('Set the triage state of an alert; detection never changes it afterwards')
      .argument('<id>', 'alert id')
      .argument('<state>', TRIAGE_STATES.join(' | '))
      .option('--note <text>', 'why (shown with the alert)')
      .option('--link <url>', 'an issue or pull request (http or https)')
      .option(
        '--until <date>',
        'with acknowledged: known and expected until this date (YYYY-MM-DD, through its end, UTC) or ISO UTC time, at most a year ahead; hidden from the dashboard’s default alerts list until then',
      ),
  ).action(async (id, state, opts) => {
    const { alertsTriageCommand } = await import('./commands/alerts.ts')
    setStatus(await alertsTriageCommand(ctx, id, state, opts))
  })
}

/** Registers `langperf nightly`. */
export function addNightlyCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  withSamplingOptions(
    common(
      program
        .command('nightly')
        .description(
          'One nightly cycle over the runtimes of langperf.toml: for each branch × config, the new first-parent commits →\n' +
            'build → measure → store → detect → notify → bisect. Resumes after a crash without redoing finished steps;\n' +
            'exits with 75 when another nightly holds the lock (docs/nightly.md). With --farm, the same plan per farm\n' +
            'machine, built and measured by their agents (docs/farm.md)',
        )
        .option(
          '--backfill <n>',
          'fill the history of the last N commits of each branch',
          number('--backfill', true),
        )
        .option(
          '--every <k>',
          'measure every k-th commit, always the newest (default: [schedule] backfill_every)',
          number('--every', true),
        )
        .option('--dry-run', 'print the plan (fetches the mirrors), build and measure nothing')
        .option('--runtime <name>', 'only this runtime (repeatable)', collect)
        .option('-w, --workload <name>', 'only this workload instead of the suites (repeatable)', collect)
        .option('--processes <n>', 'processes per build (default 20)', number('--processes', true))
        .option('--no-bisect', 'do not bisect new alerts')
        .option(
          '--max-bisections <n>',
          'bisections per nightly at most (default 3)',
          number('--max-bisections', true),
        )
        .option(
          '--bisect-processes <n>',
          "processes per build in a bisection's first round (default 10, or half of what the alert's interleaved pair needed when that is more; each round doubles)",
          number('--bisect-processes', true),
        )
        .option(
          '--portal-url <url>',
          'public URL of the portal, for links in notifications ($LANGPERF_PORTAL_URL)',
        )
        .option('--lock <path>', 'lock file (default <build cache>/nightly.lock)')
        .option(
          '--reference <mode>',
          'previous: measure each new commit interleaved with the newest one measured before it; none: alone (default: [nightly] reference)',
        )
        .option(
          '--pair-budget <rounds>',
          "rounds a pair may measure at most: while a workload's interval cannot rule out a change of the " +
            'pair threshold, it is measured again on both builds, doubling its processes; 1 = never grow ' +
            '(default: [nightly] pair_budget, 3)',
          number('--pair-budget', true),
        )
        .option(
          '--pair-threshold <fraction>',
          'the change a pair must see or rule out, e.g. 0.1 for 10 %; a pair whose 99 % interval (α split ' +
            'over its rounds) excludes 1 at least this far from 1 raises a provisional change by itself ' +
            '(default: [nightly] pair_threshold, 0.1)',
          number('--pair-threshold', false),
        )
        .option('--no-profile', 'do not profile the culprits bisection names (default: [bisect] profile)')
        .option(
          '--profile-duration <s>',
          'seconds of profiled workload per build and workload at a culprit (default: [bisect] profile_duration, 10)',
          number('--profile-duration', false),
        )
        .option(
          '--profile-processes <n>',
          'profiled processes per build and workload at a culprit (default 2)',
          number('--profile-processes', true),
        )
        .option(
          '--farm',
          "the farm's nightly, on the server's host: plan each farm machine's commits (machines with a registered agent, " +
            'and [[machines]]) and enqueue one build job per commit × config × machine for the agents, in the PostgreSQL ' +
            'store of `serve --farm`; then detect and notify over what has arrived, and bisect with jobs on the machine that saw ' +
            'the change, going on at each nightly (docs/farm.md). Pairs grow on the agent that measures them (--pair-budget); culprits are not profiled yet',
        )
        .option(
          '--wait',
          "with --farm: wait until the jobs enqueued have finished, then detect; and wait for each bisection's jobs until it ends",
        )
        .option(
          '--wait-timeout <s>',
          'with --wait: give up waiting after this many seconds (default 86400); exit status 1',
          number('--wait-timeout', false),
        )
        .option(
          '--farm-machine <name>',
          'with --farm: only this machine (repeatable; default: every registered agent and [[machines]])',
          collect,
        )
        .option(
          '--pg-schema <name>',
          "with --farm: the PostgreSQL schema of the store, as `serve --pg-schema` (default: the connection's search_path)",
        ),
    ),
  ).action(async (opts) => {
    const { nightlyCommand } = await import('./commands/nightly.ts')
    setStatus(await nightlyCommand(ctx, opts))
  })
}

/** Registers `langperf bisect`. */
export function addBisectCommand(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  withSamplingOptions(
    common(
      program
        .command('bisect')
        .summary('Find the commit of a range that changed a workload')
        .description(
          'Find the commit of (good, bad] that changed a workload: build midpoints (cached), measure them interleaved with\n' +
            'both ends, repeats doubling until the verdict is clear (α = 0.01), then confirm the culprit against its parent;\n' +
            'with --measure instructions, one exact instruction count per build and workload decides each step',
        )
        .option('--good <rev>', 'a commit, tag or branch known to be good')
        .option('--bad <rev>', 'a descendant of it known to be bad')
        .option('-w, --workload <name>', 'workload that changed (repeatable)', collect)
        .option('--runtime <name>', 'runtime of langperf.toml (default: its only one)')
        .option('--build-config <name>', 'build config (default: the runtime’s first)')
        .option('--branch <name>', 'branch recorded on new builds (default: the runtime’s first)')
        .option(
          '--alert <id>',
          'record the culprit (or "inconclusive: …") on this alert; an alert of instruction-count changes is\n' +
            'bisected by counts unless --measure time',
          number('--alert', true),
        )
        .option(
          '--processes <n>',
          'processes per build in the first round (default 10, doubling)',
          number('--processes', true),
        )
        .option(
          '--repeats <n>',
          'rounds per commit at most (default: [bisect] repeats)',
          number('--repeats', true),
        )
        .option(
          '--max-builds <n>',
          'builds at most (default: [bisect] max_builds)',
          number('--max-builds', true),
        )
        .option(
          '--measure <what>',
          'time (default; instructions for an --alert of counts) or instructions: count each workload once per build\n' +
            "under valgrind's callgrind (one process, one round; a change is a ratio ≥ 0.5 % from 1, as compare calls it;\n" +
            'refused without valgrind and with --processes, --repeats, --warmups, --values, --fast, --rigorous)\n' +
            '(docs/stats.md, "Instruction counts")',
        ),
    ),
  ).action(async (opts) => {
    const { bisectCommand } = await import('./commands/bisect.ts')
    setStatus(await bisectCommand(ctx, opts))
  })
}

/** Adds `notify test|send` to the program. */
export function addNotifyCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  const notify = program
    .command('notify')
    .summary('Check a notification target, or send a stored alert again')
    .description('Notifications ([[notify]] in langperf.toml): check a target, or send a stored alert again')
  notify
    .command('test')
    .description(
      'Send a sample alert (marked as a test) to one configured target, to check its URL, token or SMTP login;\n' +
        'exit status 3 when it was not delivered, with the reason',
    )
    .requiredOption('--target <name>', 'the [[notify]] target, by its name')
    .option('--config <file>', 'configuration file (default: ./langperf.toml)')
    .option('--portal-url <url>', `the portal's address, for links (default: ${DEFAULT_PORTAL_URL})`)
    .option('--json', 'print the delivery result as JSON on stdout')
    .action(async (opts: NotifyTestOptions) => {
      const { notifyTestCommand } = await import('./commands/notify.ts')
      setStatus(await notifyTestCommand(ctx, opts))
    })
  notify
    .command('send')
    .description('Send a stored alert to the configured targets (all, or those named by --target)')
    .argument('<alert>', 'alert id (see `langperf alerts`)', alertId)
    .option(
      '--target <name>',
      'a [[notify]] target, by its name (repeatable; default: every target)',
      collect,
    )
    .option('--config <file>', 'configuration file (default: ./langperf.toml)')
    .option('--portal-url <url>', `the portal's address, for links (default: ${DEFAULT_PORTAL_URL})`)
    .option(
      '--db <path>',
      'the database: an SQLite file or a postgres:// URL (default: $LANGPERF_DB or ./langperf.db)',
    )
    .option('--json', 'print the delivery results as JSON on stdout')
    .action(async (id: number, opts: NotifySendOptions) => {
      const { notifySendCommand } = await import('./commands/notify.ts')
      setStatus(await notifySendCommand(ctx, id, opts))
    })
}

/** Registers `langperf profile` (record, show, diff, list) on the program. */
export function addProfileCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  const profile = program
    .command('profile')
    .summary('Where the time goes: record, show and diff profiles')
    .description(
      'Where the time goes: profile a workload with py-spy (or perf, for C frames) in processes of its own\n' +
        '(never the timed ones), store the profile, and read it as its top functions or as the differential\n' +
        'of two (docs/profiles.md)',
    )
  common(
    profile
      .command('record', { isDefault: true })
      .description(
        'Profile WORKLOAD on each --python (two: interleaved, then their differential); py-spy is installed into\n' +
          "langperf's cache on first use. --profiler perf samples C frames too (the system's perf; CPython 3.13+\n" +
          'names every Python frame, 3.12 the innermost, others none). Where the profiler cannot profile\n' +
          '(py-spy on PyPy, perf missing or forbidden), the stored profile says why',
      )
      .argument('<workload>', 'workload name (see `langperf workloads`)')
      .option('-p, --python <path>', 'interpreter to profile (repeatable; two give a differential)', collect)
      .option(
        '--duration <seconds>',
        'profiled seconds per interpreter (default 10)',
        number('--duration', false),
      )
      .option(
        '--processes <n>',
        'profiled processes per interpreter (default 2)',
        number('--processes', true),
      )
      .option('--rate <hz>', 'samples per second (default 250)', number('--rate', true))
      .option(
        '--profiler <name>',
        'py-spy (Python frames; default) or perf (C frames of the interpreter and extensions, with Python frames on CPython 3.12+)',
      )
      .option('--top <n>', 'functions shown (default 15)', number('--top', true))
      .option('--machine <name>', 'machine name to record (default: hostname)')
      .option(
        '--cache-dir <dir>',
        "langperf's cache (default: [build] cache_dir of langperf.toml, else .cache/langperf)",
      )
      .option('--config <path>', 'configuration file naming the cache (default ./langperf.toml when present)')
      .option('--recalibrate', 'calibrate the loops again instead of reusing those of earlier runs')
      .option(
        '--whole-process',
        'count every sample, start-up and imports included (default: only those in timed values)',
      ),
  ).action(async (workload, opts) => {
    const { profileCommand } = await import('./commands/profile.ts')
    setStatus(await profileCommand(ctx, workload, opts))
  })
  common(
    profile
      .command('show')
      .description("A stored profile's top functions: self and total samples with their shares")
      .argument('<id>', 'profile id')
      .option('--top <n>', 'functions shown (default 15)', number('--top', true))
      .option(
        '--whole-process',
        'count every sample, start-up and imports included (default: only those in timed values)',
      ),
  ).action(async (id, opts) => {
    const { showCommand } = await import('./commands/profile.ts')
    setStatus(await showCommand(ctx, id, opts))
  })
  common(
    profile
      .command('diff')
      .description(
        'The differential of two profiles: per function, the change in self share (B − A) with its interval',
      )
      .argument('<a>', 'reference profile id')
      .argument('<b>', 'profile compared with it')
      .option('--top <n>', 'functions shown (default 15)', number('--top', true))
      .option(
        '--whole-process',
        'count every sample, start-up and imports included (default: only those in timed values)',
      ),
  ).action(async (a, b, opts) => {
    const { diffCommand } = await import('./commands/profile.ts')
    setStatus(await diffCommand(ctx, a, b, opts))
  })
  common(
    profile
      .command('list')
      .description('Stored profiles, newest first')
      .option('--workload <name>', 'only this workload')
      .option('--limit <n>', 'at most this many (default 50)', number('--limit', true)),
  ).action(async (opts) => {
    const { listCommand } = await import('./commands/profile.ts')
    setStatus(await listCommand(ctx, opts))
  })
}
