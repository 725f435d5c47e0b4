import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, type TestContext, test } from 'node:test'
import { LangperfError } from '../lib/index.ts'
import type { WorkloadDefinition, WorkloadResult } from '../model/index.ts'
import { discoverInterpreters, type Interpreter, onPath } from './discovery.ts'
import { parseWrkReport, runHttpProcess, serverLoadSplit, wrkErrorText, wrkScript } from './http-driver.ts'
import { weightedOrder } from './open-loop.ts'
import { getPreset } from './presets.ts'
import { workerEnv } from './process.ts'
import { processesMentioning, TINY_DRIVER } from './server-testing.ts'
import { measureSuite } from './suite.ts'
import { ensureVenv } from './venv.ts'
import { loadWorkload, parseManifest } from './workloads.ts'

// Server workloads: the manifest's `services` and `driver`, wrk's script and report, and one
// measuring process of a tiny WSGI application under gunicorn (in a 3.11 virtual environment).

const scratch = await mkdtemp(join(tmpdir(), 'langperf-http-driver-'))
after(() => rm(scratch, { recursive: true, force: true }))

const DRIVER = TINY_DRIVER

const SERVER = {
  name: 'tiny_server',
  description: 'A tiny WSGI application.',
  tags: ['macro', 'web'],
  language: 'python',
  entry: 'workload.py',
  parameters: { greeting: 'hello' },
  innerLoops: 1,
  requiresPython: '3.10',
  requirements: ['gunicorn==26.2.0', 'packaging==26.3'],
  services: [{ name: 'memcached' }],
  driver: DRIVER,
}

function problem(raw: unknown): string {
  try {
    parseManifest(raw, 'x.json')
  } catch (error) {
    assert.ok(error instanceof LangperfError)
    return error.message
  }
  return ''
}

test('a manifest may declare services and an http driver', () => {
  const got = parseManifest(SERVER, 'x.json')
  assert.deepEqual(got.services, [{ name: 'memcached' }])
  assert.deepEqual(got.driver, DRIVER)
})

test('unknown services, unknown keys and out-of-range driver fields are rejected', () => {
  assert.match(problem({ ...SERVER, services: [{ name: 'redis' }] }), /field "services\[0\]\.name"/)
  const twice = [{ name: 'memcached' }, { name: 'memcached' }]
  assert.match(problem({ ...SERVER, services: twice }), /field "services" expected .*each once/)
  assert.match(
    problem({ ...SERVER, services: [{ name: 'memcached', port: 11211 }] }),
    /unexpected field "port"/,
  )
  assert.match(
    problem({ ...SERVER, driver: { ...DRIVER, port: 8000 } }),
    /unexpected field "port" in "driver"/,
  )
  assert.match(problem({ ...SERVER, driver: { ...DRIVER, kind: 'grpc' } }), /field "driver\.kind"/)
  assert.match(
    problem({ ...SERVER, driver: { ...DRIVER, connections: 100_000 } }),
    /field "driver\.connections"/,
  )
  assert.match(problem({ ...SERVER, driver: { ...DRIVER, workers: 0 } }), /field "driver\.workers"/)
  assert.match(problem({ ...SERVER, driver: { ...DRIVER, durationS: 3600 } }), /field "driver\.durationS"/)
  assert.match(problem({ ...SERVER, driver: { ...DRIVER, durationS: 1.5 } }), /field "driver\.durationS"/)
  const weights = { ...DRIVER, requests: [{ method: 'GET', path: '/a', weight: 50 }] }
  assert.match(problem({ ...SERVER, driver: weights }), /weights adding up to 100/)
  const quoted = { ...DRIVER, requests: [{ method: 'GET', path: '/a") os.exit(1) --', weight: 100 }] }
  assert.match(problem({ ...SERVER, driver: quoted }), /field "driver\.requests\[0\]\.path"/)
  const body = { ...DRIVER, requests: [{ method: 'POST', path: '/a', weight: 100, body: 'a"b' }] }
  assert.match(problem({ ...SERVER, driver: body }), /field "driver\.requests\[0\]\.body"/)
  const method = { ...DRIVER, requests: [{ method: 'DELETE', path: '/a', weight: 100 }] }
  assert.match(problem({ ...SERVER, driver: method }), /field "driver\.requests\[0\]\.method"/)
})

test('weightedOrder() repeats each request its weight times, spread out', () => {
  const order = weightedOrder([26, 25, 25, 19, 5])
  assert.equal(order.length, 100)
  for (const [i, w] of [26, 25, 25, 19, 5].entries()) assert.equal(order.filter((x) => x === i + 1).length, w)
  assert.deepEqual(weightedOrder([1, 1]), [1, 2])
  assert.ok(
    order.every((x, i) => x !== order[i + 1]),
    'never the same request twice in a row',
  )
  assert.equal(new Set(order.slice(0, 20)).size, 5, 'every request within the first 20')
})

test('wrkScript() formats each request and reports a LANGPERF_WRK line', () => {
  const script = wrkScript(DRIVER)
  assert.match(script, /wrk\.format\("GET", "\/a"\)/)
  assert.match(
    script,
    /wrk\.format\("POST", "\/b", \{\["Content-Type"\] = "application\/x-www-form-urlencoded"\}, "x=1&y=2"\)/,
  )
  assert.match(script, /LANGPERF_WRK/)
})

test('parseWrkReport() reads the totals, errors and percentiles; wrkErrorText() names the errors', () => {
  const report = parseWrkReport('Running 1s test\n  ...\nLANGPERF_WRK 1200 1001000 0 0 0 2 3 1500 9000\n')
  assert.deepEqual(report, {
    requests: 1200,
    durationUs: 1001000,
    errors: { connect: 0, read: 0, write: 0, timeout: 2, non2xx: 3 },
    p50Us: 1500,
    p99Us: 9000,
  })
  assert.equal(report && wrkErrorText(report), '2 timeout errors, 3 non-2xx responses')
  assert.equal(parseWrkReport('no report'), null)
})

const APP = `
import json

def setup(params, services, workdir):
    with open(workdir + "/data.json", "w") as f:
        json.dump({"greeting": params["greeting"], "cache": services["memcached"]}, f)

def make_app(params, services, workdir):
    with open(workdir + "/data.json") as f:
        data = json.load(f)
    body = json.dumps(data).encode()
    def application(environ, start_response):
        if environ["PATH_INFO"] == "/b" and params.get("fail_posts"):
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"no"]
        if environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    return application
`

async function tinyServer(
  name: string,
  extra: { parameters?: object; entry?: string },
): Promise<WorkloadDefinition> {
  const dir = join(scratch, name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'workload.py'), extra.entry ?? APP)
  const manifest = { ...SERVER, name, parameters: { ...SERVER.parameters, ...extra.parameters } }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest))
  return loadWorkload(dir)
}

let py311: Interpreter | undefined

/** The python of a 3.11 virtual environment with gunicorn, or why there is none. */
async function gunicornPython(): Promise<string> {
  if ((await onPath('wrk', process.env)) === null) return 'wrk is not installed (apt-get install -y wrk)'
  if ((await onPath('memcached', process.env)) === null)
    return 'memcached is not installed (apt-get install -y memcached)'
  const { interpreters } = await discoverInterpreters({ explicit: ['python3.11'] })
  const py = interpreters.find((i) => i.info.version.startsWith('3.11'))
  if (!py) return 'python3.11 is not installed'
  py311 = py
  const venv = await ensureVenv(join(scratch, 'cache'), py, SERVER.requirements)
  return venv.ok ? venv.python : `gunicorn could not be installed: ${venv.reason}`
}

// Found once, when the first test that needs it runs: a top-level await here would let Node 20
// run the file's \`after\` (which removes the scratch directory) before the tests registered later.
let found: Promise<string> | undefined
/** The python of the gunicorn environment, or undefined after skipping `t` with the reason. */
async function serverPython(t: TestContext): Promise<string | undefined> {
  found ??= gunicornPython()
  const python = await found
  if (python.startsWith('/')) return python
  t.skip(python)
  return undefined
}
const options = { env: workerEnv(process.env), timeoutMs: 60_000 }

test('runHttpProcess() measures the server: CPU per request as the value, the load in the metadata', async (t) => {
  const python = await serverPython(t)
  if (python === undefined) return
  const def = await tinyServer('tiny_ok', {})
  const got = await runHttpProcess(def, python, options)
  assert.ok(got.ok, got.ok ? '' : `${got.message}\n${got.stderrTail}`)
  const [value] = got.process.values
  assert.ok(value !== undefined && value > 0)
  const http = got.process.metadata.http as Record<string, number>
  assert.ok((http.requests ?? 0) > 0 && (http.requests_per_s ?? 0) > 0, JSON.stringify(http))
  assert.ok((http.cpu_ms_per_request ?? 0) > 0)
  assert.ok((http.latency_p99_ms ?? -1) >= (http.latency_p50_ms ?? 0))
  assert.match(JSON.stringify(got.process.metadata.services), /"memcached":\{"version":"\d/)
  const [half] = (got.process.metadata.http as { open_loop: Record<string, number>[] }).open_loop
  assert.equal(half?.fraction, 0.5)
  assert.ok((half?.completed ?? 0) > 0 && half?.completed === half?.sent, JSON.stringify(half))
  // Where the server and wrk ran: apart when this machine lets langperf use two CPUs or more
  // (the tiny server has one worker), with the reason otherwise.
  const pinning = (got.process.metadata.http as { pinning: Record<string, string> }).pinning
  if (availableParallelism() >= 2) assert.deepEqual(Object.keys(pinning ?? {}).sort(), ['load', 'server'])
  else assert.match(pinning?.reason ?? '', /not pinned: 1 CPU for 1 server worker/)
  assert.deepEqual(processesMentioning(def.entryPath), [], 'no process of the workload is left')
})

test('serverLoadSplit() gives the server one CPU per worker and the load generator the rest, or says why not', () => {
  assert.deepEqual(serverLoadSplit([3, 2, 1, 0], 2), { server: '0,1', load: '2,3' })
  assert.deepEqual(serverLoadSplit([4, 6, 5], 2), { server: '4,5', load: '6' })
  assert.deepEqual(serverLoadSplit([0, 1], 2), {
    reason: 'not pinned: 2 CPUs for 2 server workers and the load generator (pinning needs 3)',
  })
  assert.deepEqual(serverLoadSplit([0, 0], 1), {
    reason: 'not pinned: 1 CPU for 1 server worker and the load generator (pinning needs 2)',
  })
})

test('a server answering 500 is a failure naming the workload and the cause, nothing left running', async (t) => {
  const python = await serverPython(t)
  if (python === undefined) return
  const def = await tinyServer('tiny_500', { parameters: { fail_posts: true } })
  const got = await runHttpProcess(def, python, options)
  assert.ok(!got.ok)
  assert.equal(got.reason, 'error')
  assert.match(got.message, /^Load on tiny_500 got errors from the server: \d+ non-2xx responses/)
  assert.deepEqual(processesMentioning(def.entryPath), [])
})

test('a server whose application cannot load is a recorded failure, nothing left running', async (t) => {
  const python = await serverPython(t)
  if (python === undefined) return
  const def = await tinyServer('tiny_broken', {
    entry: `${APP}\ndef make_app(params, services, workdir):\n    raise RuntimeError("no app here")\n`,
  })
  const got = await runHttpProcess(def, python, { ...options })
  assert.ok(!got.ok)
  assert.match(got.message, /Server (exited|did not answer)/)
  assert.match(got.stderrTail, /no app here/)
  assert.deepEqual(processesMentioning(def.entryPath), [])
})

test('a failing setup is a recorded failure with its traceback, nothing left running', async (t) => {
  const python = await serverPython(t)
  if (python === undefined) return
  const def = await tinyServer('tiny_setup', {
    entry: `${APP}\ndef setup(params, services, workdir):\n    raise ValueError("bad data")\n`,
  })
  const got = await runHttpProcess(def, python, options)
  assert.ok(!got.ok)
  assert.match(got.message, /^Setup failed \(exit status 1\)/)
  assert.match(got.stderrTail, /ValueError: bad data/)
  assert.deepEqual(processesMentioning(def.entryPath), [])
})

test('through the suite runner, a server that cannot load is a failed result naming the cause', async (t) => {
  if ((await serverPython(t)) === undefined) return
  const def = await tinyServer('tiny_suite', {
    entry: `${APP}\ndef make_app(params, services, workdir):\n    raise RuntimeError("no app here")\n`,
  })
  const fast = getPreset('fast')
  const results: WorkloadResult[] = []
  await measureSuite(
    {
      interpreters: py311 ? [py311] : [],
      workloads: [def],
      preset: { ...fast, plain: { ...fast.plain, processes: 2 } },
      timeoutMs: 60_000,
      cacheDir: join(scratch, 'cache'),
    },
    { onEvent: (e) => void (e.kind === 'result' && results.push(e.result)) },
  )
  const [result] = results
  assert.equal(result?.outcome.state, 'failed')
  assert.match(result?.outcome.state === 'failed' ? result.outcome.message : '', /^Process 1: Server exited/)
  assert.deepEqual(processesMentioning(def.entryPath), [])
})
