import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import { CPYTHON_NAMED_CONFIGS, type LangperfConfig, linkFromTemplate, suitesFor } from '../model/index.ts'
import { parseConfig } from './parse.ts'

const CPYTHON = `
[[runtimes]]
name = "cpython"
family = "cpython"
remote = "https://github.com/python/cpython.git"
branches = ["main"]
`

/** The message of the LangperfError that parsing `text` throws. */
function errorOf(text: string, file = 'langperf.toml'): string {
  try {
    parseConfig(text, file)
  } catch (error) {
    assert.ok(error instanceof LangperfError, `expected a LangperfError, got ${String(error)}`)
    assert.equal(error.code, 'bad-input')
    return error.message
  }
  assert.fail('expected parseConfig to throw')
}

test('the example configuration at the repository root parses, with every section filled', () => {
  const file = new URL('../../langperf.example.toml', import.meta.url)
  const config: LangperfConfig = parseConfig(readFileSync(file, 'utf8'), 'langperf.example.toml')
  assert.deepEqual(
    config.runtimes.map((r) => [r.name, r.family, r.configs.map((c) => c.name)]),
    [
      ['cpython', 'cpython', ['default', 'pgo-lto', 'jit']],
      ['pypy', 'pypy', ['nightly']],
      ['node', 'node', ['default']],
    ],
  )
  const pgo = config.runtimes[0]?.configs[1]?.recipe
  assert.deepEqual(pgo, { kind: 'cpython', configureArgs: ['--enable-optimizations', '--with-lto'], env: {} })
  const pypy = config.runtimes[1]?.configs[0]?.recipe
  assert.equal(pypy?.kind, 'generic')
  assert.equal(pypy?.kind === 'generic' ? pypy.executable : '', 'bin/pypy3')
  assert.equal(config.machines[0]?.expect.memoryBytes, 32 * 2 ** 30)
  assert.deepEqual(config.schedule, {
    trigger: { kind: 'daily', hour: 2, minute: 30 },
    timezone: 'UTC',
    backfillEvery: 1,
  })
  assert.deepEqual(
    config.notify.map((n) => n.kind),
    ['webhook', 'email', 'github'],
  )
  assert.deepEqual(config.baselines.cpython, ['v3.12.0', 'v3.13.0'])
  assert.deepEqual(suitesFor(config, 'pypy'), ['quick'])
  assert.deepEqual(suitesFor(config, 'cpython'), ['default'])
  assert.equal(config.build.cacheMaxBytes, 50 * 2 ** 30)
  assert.equal(config.build.stepTimeoutMs, 3 * 3600 * 1000)
  assert.deepEqual(config.nightly, { reference: 'previous', pairBudget: 3, pairThreshold: 0.1 })
})

test('parseConfig() fills every default for an empty file', () => {
  const config = parseConfig('', 'etc/langperf.toml')
  assert.deepEqual(config.store, { kind: 'sqlite', path: 'etc/langperf.db' })
  assert.deepEqual(config.runtimes, [])
  assert.deepEqual(config.suites, { default: ['default'], perRuntime: {}, defined: [] })
  assert.deepEqual(config.schedule.trigger, { kind: 'daily', hour: 2, minute: 0 })
  assert.deepEqual(config.build, {
    cacheDir: 'etc/.cache/langperf',
    cacheMaxBytes: 50 * 2 ** 30,
    jobs: 'auto',
    stepTimeoutMs: 3 * 3600 * 1000,
  })
  assert.deepEqual(config.bisect, {
    enabled: true,
    maxBuilds: 12,
    repeats: 5,
    profile: true,
    profileWorkloads: 2,
    profileDurationS: 10,
    profiler: 'py-spy',
  })
  assert.deepEqual(config.nightly, { reference: 'previous', pairBudget: 3, pairThreshold: 0.1 })
})

test('parseConfig() reads the [bisect] profile settings and rejects a duration without a unit', () => {
  const c = parseConfig(
    '[bisect]\nprofile = false\nprofile_workloads = 1\nprofile_duration = "3s"\n',
    'x.toml',
  )
  assert.deepEqual([c.bisect.profile, c.bisect.profileWorkloads, c.bisect.profileDurationS], [false, 1, 3])
  assert.match(errorOf('[bisect]\nprofile_duration = "10"\n'), /bisect\.profile_duration expected/)
  assert.equal(parseConfig('', 'x.toml').bisect.profiler, 'py-spy')
  assert.equal(parseConfig('[bisect]\nprofiler = "perf"\n', 'x.toml').bisect.profiler, 'perf')
  assert.match(errorOf('[bisect]\nprofiler = "vtune"\n'), /bisect\.profiler .*one of py-spy, perf/)
})

test('parseConfig() reads [nightly] reference and names the values it accepts', () => {
  assert.equal(parseConfig('[nightly]\nreference = "none"\n', 'langperf.toml').nightly.reference, 'none')
  assert.equal(
    errorOf('[nightly]\nreference = "last"\n'),
    'Cannot load configuration "langperf.toml": nightly.reference expected one of "previous", "none", found "last"',
  )
})

test('parseConfig() reads [nightly] pair_budget and pair_threshold and rejects values out of range', () => {
  const c = parseConfig('[nightly]\npair_budget = 1\npair_threshold = 0.05\n', 'langperf.toml')
  assert.equal(c.nightly.pairBudget, 1)
  assert.equal(c.nightly.pairThreshold, 0.05)
  assert.match(errorOf('[nightly]\npair_budget = 0\n'), /nightly\.pair_budget expected a positive integer/)
  assert.match(
    errorOf('[nightly]\npair_threshold = 10\n'),
    /nightly\.pair_threshold expected a fraction between 0 and 1/,
  )
})

test('parseConfig() predefines the named CPython configs and builds a CPython runtime without configs in default', () => {
  const bare = parseConfig(CPYTHON, 'langperf.toml')
  assert.deepEqual(bare.runtimes[0]?.configs, [
    { name: 'default', recipe: { kind: 'cpython', configureArgs: [], env: {} } },
  ])
  const named = parseConfig(
    `${CPYTHON}[runtimes.configs.freethreading]\n[runtimes.configs.debug]\n[runtimes.configs.jit]\n`,
    'langperf.toml',
  )
  for (const config of named.runtimes[0]?.configs ?? []) {
    assert.equal(config.recipe.kind, 'cpython')
    if (config.recipe.kind === 'cpython')
      assert.deepEqual(config.recipe.configureArgs, CPYTHON_NAMED_CONFIGS[config.name])
  }
})

test('parseConfig() resolves relative paths against the file directory and keeps URLs as written', () => {
  const config = parseConfig(
    `[store]\nlocation = "postgres://db.example.org/langperf"\n[build]\ncache_dir = "/var/cache/lp"\n` +
      `[[runtimes]]\nname = "local"\nfamily = "cpython"\nremote = "../src/cpython"\nbranches = ["main"]\n` +
      `[[runtimes]]\nname = "scp"\nfamily = "cpython"\nremote = "git@example.org:cpython.git"\nbranches = ["main"]\n`,
    'conf/langperf.toml',
  )
  assert.deepEqual(config.store, { kind: 'postgres', url: 'postgres://db.example.org/langperf' })
  assert.equal(config.build.cacheDir, '/var/cache/lp')
  assert.equal(config.runtimes[0]?.remote, 'src/cpython')
  assert.equal(config.runtimes[1]?.remote, 'git@example.org:cpython.git')
})

test('parseConfig() names the key path by runtime name, what was expected and what was found', () => {
  const message = errorOf(`${CPYTHON}[runtimes.configs.jit]\nconfigure = 42\n`)
  assert.equal(
    message,
    'Cannot load configuration "langperf.toml": runtimes.cpython.configs.jit.configure expected an array of configure arguments, found the number 42',
  )
})

test('parseConfig() names machines by their name in key paths and reads sizes', () => {
  assert.equal(
    errorOf('[[machines]]\nname = "Bench-1"\n[machines.expect]\nturbo = "maybe"\n'),
    'Cannot load configuration "langperf.toml": machines.Bench-1.expect.turbo expected "on" or "off", found "maybe"',
  )
  assert.match(
    errorOf('[[machines]]\nname = "b"\n[machines.expect]\nmemory = "lots"\n'),
    /machines\.b\.expect\.memory expected a size/,
  )
  const config = parseConfig(
    '[[machines]]\nname = "b"\n[machines.expect]\nmemory = "16 GB"\nsmt = "off"\n',
    'l.toml',
  )
  assert.deepEqual(config.machines, [{ name: 'b', expect: { memoryBytes: 16e9, smt: 'off' } }])
})

test('parseConfig() rejects unknown keys and suggests the key that was meant', () => {
  assert.match(
    errorOf('[build]\njbos = 2\n'),
    /build has unknown key "jbos", expected only the keys .*jobs.* \(did you mean "jobs" for "jbos"\?\)/,
  )
  assert.match(errorOf('[buld]\n'), /the file has unknown key "buld".*did you mean "build"/)
  assert.match(
    errorOf(`${CPYTHON}[runtimes.configs.default]\nconfigur = []\n`),
    /runtimes\.cpython\.configs\.default has unknown key "configur"/,
  )
})

test('parseConfig() gives the line and column of a TOML syntax error', () => {
  const message = errorOf('[store]\nlocation = "x"\nlocation = = 3\n')
  assert.match(
    message,
    /^Cannot parse configuration "langperf\.toml": TOML syntax error at line 3, column \d+: /,
  )
})

test('parseConfig() refuses a token written into the file and names the *_env key to use', () => {
  const message = errorOf('[[notify]]\nkind = "github"\nrepo = "a/b"\ntoken = "ghp_secret"\n')
  assert.match(
    message,
    /notify\[0\]\.token must not hold a secret in the file, expected .* "token_env" instead/,
  )
  assert.doesNotMatch(message, /ghp_secret/)
})

test('parseConfig() checks each notification kind for its own keys', () => {
  const message = errorOf('[[notify]]\nkind = "email"\nsmtp_host = "smtp.example.org"\nrepo = "a/b"\n')
  assert.match(message, /3 problems/)
  assert.match(message, /notify\[0\]\.repo is not used by kind = "email"/)
  assert.match(message, /notify\[0\]\.from is missing/)
  assert.match(message, /notify\[0\]\.to is missing/)
  const ok = parseConfig('[[notify]]\nkind = "webhook"\nurl_env = "HOOK"\n', 'langperf.toml')
  assert.deepEqual(ok.notify, [
    { kind: 'webhook', name: 'webhook-1', url: { kind: 'env', variable: 'HOOK' } },
  ])
})

test('parseConfig() fills the SMTP security and GitHub API defaults and accepts their keys', () => {
  const defaults = parseConfig(
    '[[notify]]\nkind = "email"\nsmtp_host = "smtp.example.org"\nfrom = "a@example.org"\nto = ["b@example.org"]\n' +
      '[[notify]]\nkind = "email"\nsmtp_host = "smtp.example.org"\nsmtp_port = 465\nfrom = "a@example.org"\nto = ["b@example.org"]\n' +
      '[[notify]]\nkind = "github"\nrepo = "a/b"\ntoken_env = "GITHUB_TOKEN"\n',
    'langperf.toml',
  )
  assert.deepEqual(
    defaults.notify.map((n) => (n.kind === 'email' ? n.security : n.kind === 'github' ? n.apiUrl : '')),
    ['starttls', 'tls', 'https://api.github.com'],
  )
  const given = parseConfig(
    '[[notify]]\nkind = "email"\nsmtp_host = "localhost"\nsmtp_port = 25\nsmtp_security = "none"\nfrom = "a@example.org"\nto = ["b@example.org"]\n' +
      '[[notify]]\nkind = "github"\nrepo = "a/b"\ntoken_env = "GITHUB_TOKEN"\napi_url = "https://ghe.example.org/api/v3/"\n',
    'langperf.toml',
  )
  assert.deepEqual(
    given.notify.map((n) => (n.kind === 'email' ? n.security : n.kind === 'github' ? n.apiUrl : '')),
    ['none', 'https://ghe.example.org/api/v3'],
  )
  assert.match(
    errorOf(
      '[[notify]]\nkind = "email"\nsmtp_host = "h"\nsmtp_security = "ssl"\nfrom = "a@example.org"\nto = ["b@example.org"]\n',
    ),
    /notify\[0\]\.smtp_security expected one of starttls, tls, none, found "ssl"/,
  )
  assert.match(
    errorOf(
      '[[notify]]\nkind = "webhook"\nurl = "https://example.org/hook"\napi_url = "https://example.org"\n',
    ),
    /notify\[0\]\.api_url is not used by kind = "webhook"/,
  )
})

test('parseConfig() requires generic recipes to say what to run and what to measure', () => {
  const message = errorOf(
    '[[runtimes]]\nname = "pypy"\nfamily = "pypy"\nremote = "x"\nbranches = ["main"]\n[runtimes.configs.nightly]\nconfigure = ["--x"]\n',
  )
  assert.match(message, /runtimes\.pypy\.configs\.nightly\.configure is not used by the generic recipe/)
  assert.match(message, /runtimes\.pypy\.configs\.nightly\.executable is missing/)
  assert.match(message, /runtimes\.pypy\.configs\.nightly has no commands/)
  assert.match(
    errorOf('[[runtimes]]\nname = "pypy"\nfamily = "pypy"\nremote = "x"\nbranches = ["main"]\n'),
    /runtimes\.pypy\.configs is missing, expected at least one \[runtimes\.configs\.<name>\] table/,
  )
  assert.match(
    errorOf(`${CPYTHON}[runtimes.configs.fast]\n`),
    /runtimes\.cpython\.configs\.fast\.configure is missing, expected an array of configure arguments \(only default, pgo-lto/,
  )
  assert.match(
    errorOf(
      '[[runtimes]]\nname = "n"\nfamily = "node"\nremote = "x"\nbranches = ["main"]\n[runtimes.configs.c]\nrecipe = "cpython"\n',
    ),
    /runtimes\.n\.configs\.c\.recipe expected "generic" for a runtime of family "node"/,
  )
})

test('parseConfig() checks references between sections and unique names', () => {
  assert.match(
    errorOf(`${CPYTHON}[baselines]\ncpyton = ["v3.12.0"]\n`),
    /baselines\.cpyton names no runtime, expected one of cpython/,
  )
  assert.match(
    errorOf(`${CPYTHON}[suites.runtimes]\npypy = ["quick"]\n`),
    /suites\.runtimes\.pypy names no runtime/,
  )
  assert.match(
    errorOf(`${CPYTHON}${CPYTHON}`),
    /runtimes\.cpython\.name repeats "cpython", expected unique runtime names/,
  )
  assert.match(
    errorOf(`${CPYTHON}[baselines]\ncpython = ["--upload-pack=x"]\n`),
    /baselines\.cpython\[0\] expected a git branch/,
  )
})

test('parseConfig() accepts a time of day or a cron expression, not both, and checks the time zone', () => {
  const cron = parseConfig('[schedule]\ncron = "30  2 * * 1-5"\ntimezone = "Europe/Paris"\n', 'l.toml')
  assert.deepEqual(cron.schedule.trigger, { kind: 'cron', expression: '30 2 * * 1-5' })
  assert.match(errorOf('[schedule]\nat = "02:30"\ncron = "0 3 * * *"\n'), /schedule has both "at" and "cron"/)
  assert.match(
    errorOf('[schedule]\nat = 02:30:00\n'),
    /schedule\.at expected a time of day "HH:MM" \(24-hour, in quotes\), found the unquoted date or time/,
  )
  assert.match(
    errorOf('[schedule]\ntimezone = "Mars/Olympus"\n'),
    /schedule\.timezone expected an IANA time zone/,
  )
})

test('parseConfig() reads a runtime’s commit_url and compare_url, only http(s) with their placeholders', () => {
  const config = parseConfig(
    `${CPYTHON}commit_url = "https://github.com/python/cpython/commit/{sha}"\ncompare_url = "https://github.com/python/cpython/compare/{from}...{to}"\n`,
    'langperf.toml',
  )
  const rt = config.runtimes[0]!
  assert.equal(rt.commitUrl, 'https://github.com/python/cpython/commit/{sha}')
  assert.equal(
    linkFromTemplate(rt.commitUrl, { sha: 'abc1234' }),
    'https://github.com/python/cpython/commit/abc1234',
  )
  assert.equal(
    linkFromTemplate(rt.compareUrl, { from: 'abc1234', to: 'def5678' }),
    'https://github.com/python/cpython/compare/abc1234...def5678',
  )
  assert.equal(linkFromTemplate(rt.commitUrl, { sha: 'build:12' }), undefined, 'only hex shas make links')
  assert.equal(linkFromTemplate(rt.compareUrl, { from: 'abc1234', to: null }), undefined)
  assert.equal(parseConfig(CPYTHON, 'langperf.toml').runtimes[0]?.commitUrl, undefined)
  for (const bad of [
    'javascript:alert(1)//{sha}',
    'https://example.org/commit/',
    'https://example.org/{sha}/{other}',
    'https://example.org/"{sha}',
  ]) {
    assert.match(
      errorOf(`${CPYTHON}commit_url = ${JSON.stringify(bad)}\n`),
      /runtimes\.cpython\.commit_url expected an http\(s\) URL with \{sha\}/,
    )
  }
  assert.match(
    errorOf(`${CPYTHON}compare_url = "https://example.org/compare/{from}"\n`),
    /compare_url expected an http\(s\) URL with \{from\} and \{to\}/,
  )
})

test('parseConfig() reads [[suites.define]]: the folder resolved against the file, defaults filled in', () => {
  const config = parseConfig(
    [
      '[suites]',
      'default = ["default", "shop"]',
      '[[suites.define]]',
      'name = "shop"',
      'path = "perf/shop"',
      'workloads = ["checkout", "search"]',
      'requirements_override = ["numpy==1.26.4"]',
      '[[suites.define]]',
      'name = "abs"',
      'path = "/srv/perf"',
      'description = "Everything in /srv/perf."',
    ].join('\n'),
    'etc/langperf.toml',
  )
  assert.deepEqual(config.suites.default, ['default', 'shop'])
  assert.deepEqual(config.suites.defined, [
    {
      name: 'shop',
      path: 'etc/perf/shop',
      description: null,
      workloads: ['checkout', 'search'],
      requirementsOverride: ['numpy==1.26.4'],
    },
    {
      name: 'abs',
      path: '/srv/perf',
      description: 'Everything in /srv/perf.',
      workloads: null,
      requirementsOverride: [],
    },
  ])
})

test('parseConfig() refuses a [[suites.define]] with an unknown key, no path, a repeated name or a bad pin', () => {
  assert.match(
    errorOf('[[suites.define]]\nname = "shop"\npath = "p"\nindex_url = "https://example.org/simple"\n'),
    /^Cannot load configuration "langperf\.toml": suites\.define\.shop has unknown key "index_url", expected only the keys name, path, description, workloads, requirements_override$/,
  )
  assert.match(
    errorOf('[[suites.define]]\nname = "shop"\npaht = "p"\n'),
    /suites\.define\.shop\.path is missing, expected the path of a folder of workloads.*\n.*suites\.define\.shop has unknown key "paht".*\(did you mean "path" for "paht"\?\)/,
  )
  assert.match(
    errorOf('[[suites.define]]\nname = "shop"\npath = "a"\n[[suites.define]]\nname = "shop"\npath = "b"\n'),
    /suites\.define\.shop\.name repeats "shop", expected unique suite names/,
  )
  assert.match(
    errorOf('[[suites.define]]\nname = "Shop!"\npath = "a"\n'),
    /suites\.define\[0\]\.name expected a suite name matching/,
  )
  assert.match(
    errorOf('[[suites.define]]\nname = "shop"\npath = "a"\nrequirements_override = ["numpy>=1.26"]\n'),
    /suites\.define\.shop\.requirements_override\[0\] expected a pinned requirement such as "numpy==1\.26\.4"/,
  )
  assert.match(
    errorOf('[[suites.define]]\nname = "shop"\npath = "a"\nworkloads = ["a", "b", "a"]\n'),
    /suites\.define\.shop\.workloads lists "a" twice, expected each workload once/,
  )
  assert.match(
    errorOf('[[suites]]\nname = "shop"\npath = "a"\n'),
    /^Cannot load configuration "langperf\.toml": suites expected the suite selection \[suites\]; suites of your own folders are \[\[suites\.define\]\] tables inside it \(a TOML table\), found an array/,
  )
})
