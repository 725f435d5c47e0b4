import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import type { Command } from 'commander'
import { DEFAULT_DETECT_OPTIONS } from '../stats/index.ts'
import { buildProgram, main, proseOf, summaryOf } from './main.ts'
import type { Io } from './output.ts'

// The CLI end to end, in-process: real SQLite files, real interpreters, real pyperf files.

const tmp = mkdtempSync(join(tmpdir(), 'langperf-cli-'))
const DATA_DIR = `${process.env.LANGPERF_SHARED_DATA ?? new URL('../../../shared/data', import.meta.url).pathname}/pyperf-json-pythonperf2/`

function sink(): { stream: Writable; text: () => string; bytes: () => Buffer } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk))
      cb()
    },
  })
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), bytes: () => Buffer.concat(chunks) }
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string; bytes: Buffer }> {
  const out = sink()
  const err = sink()
  const io: Io = { out: out.stream, err: err.stream, isTty: false }
  const code = await main(['node', 'langperf', ...args], io, process.env)
  return { code, out: out.text(), err: err.text(), bytes: out.bytes() }
}

test('--help teaches the commands', async () => {
  const r = await cli('--help')
  assert.equal(r.code, 0)
  for (const cmd of ['run', 'compare', 'show', 'import', 'export', 'system'])
    assert.match(r.out, new RegExp(`\\n  ${cmd}\\b`))
  const run = await cli('run', '--help')
  assert.match(run.out, /--fast/)
  assert.match(run.out, /--python <path>/)
  // The defaults detect's help states are the detector's (the help once said 2 where it used 1).
  const detect = (await cli('detect', '--help')).out.replace(/\s+/g, ' ')
  const stated = (flag: string) =>
    Number(new RegExp(`${flag} <[a-z]+> [^(]*\\(default ([0-9.]+)\\)`).exec(detect)?.[1])
  assert.equal(stated('--p-value'), DEFAULT_DETECT_OPTIONS.maxPValue)
  assert.equal(stated('--min-magnitude'), DEFAULT_DETECT_OPTIONS.minMagnitude * 100)
  assert.equal(stated('--noise-multiplier'), DEFAULT_DETECT_OPTIONS.noiseMultiplier)
  assert.equal(stated('--window'), DEFAULT_DETECT_OPTIONS.window)
})

test('every --help wraps whole sentences to 80 columns and says --db takes SQLite or PostgreSQL', () => {
  const io: Io = { out: sink().stream, err: sink().stream, isTty: false }
  const all: Command[] = []
  const walk = (c: Command) => {
    all.push(c)
    c.commands.forEach(walk)
  }
  walk(buildProgram({ io, env: process.env }, () => {}))
  assert.ok(all.length > 20, `${all.length} commands`)
  for (const cmd of all) {
    const help = cmd.helpInformation()
    for (const line of help.split('\n')) assert.ok(line.length <= 80, `${cmd.name()}: ${line}`)
    // The description block, rejoined, is the description with no break of its own.
    const block = help.split('\n\n')[1] ?? ''
    if (cmd.description())
      assert.equal(block.split('\n').join(' ').trim(), proseOf(cmd.description()).trim(), cmd.name())
    const db = cmd.options.find((o) => o.long === '--db')
    if (db) assert.match(db.description, /SQLite file or a postgres:\/\/ URL/)
  }
})

test('a list of commands gives each one clause, its full description stays in its own --help', () => {
  assert.equal(
    summaryOf('Import result files (all or none: a bad file …).\npyperf JSON 1.0'),
    'Import result files',
  )
  assert.equal(
    summaryOf('Export a run as pyperf JSON 1.0 (readable by pyperf)'),
    'Export a run as pyperf JSON 1.0',
  )
  assert.equal(summaryOf('List every token (never a secret)'), 'List every token')
  assert.equal(summaryOf('Revoke a token: the API refuses it from now on'), 'Revoke a token')
  assert.equal(summaryOf('One clause only.'), 'One clause only')
  const io: Io = { out: sink().stream, err: sink().stream, isTty: false }
  const lists: Command[] = []
  const walk = (c: Command) => {
    if (c.commands.length > 0) lists.push(c)
    c.commands.forEach(walk)
  }
  walk(buildProgram({ io, env: process.env }, () => {}))
  for (const parent of lists) {
    const listing = parent.helpInformation().split('Commands:\n')[1] ?? ''
    for (const sub of parent.commands) {
      const line = sub.summary() || summaryOf(sub.description())
      // No listed command takes more than three lines, and no entry ends mid-phrase.
      assert.ok(line.length <= 120, `${parent.name()} ${sub.name()}: ${line}`)
      assert.doesNotMatch(line, /\b(of|the|a|and|or|to)$/, `${parent.name()} ${sub.name()}: ${line}`)
      assert.ok(
        listing.replace(/\s+/g, ' ').includes(line),
        `${parent.name()} ${sub.name()} listed as ${line}`,
      )
    }
  }
})

test('commands that read never create a database: a missing file is an error naming what creates one', async () => {
  const missing = join(tmp, 'never-created.db')
  for (const args of [
    ['show'],
    ['compare', '1', '2'],
    ['export', 'pyperf', 'latest'],
    ['alerts'],
    ['detect'],
    ['token', 'list'],
    ['report', '--out', join(tmp, 'never-site')],
  ]) {
    const r = await cli(...args, '--db', missing)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`)
    assert.match(
      r.err,
      /Cannot open the database .*never-created\.db: no such file\. Nothing is stored there yet \(`langperf run` or `langperf import` create it\)/,
    )
    assert.equal(existsSync(missing), false, `${args.join(' ')} created the file`)
  }
  assert.equal(existsSync(join(tmp, 'never-site')), false)
})

test('run measures an interpreter into the database and show lists it', async () => {
  const db = join(tmp, 'run.db')
  const r = await cli(
    'run',
    '--workload',
    'nbody',
    '--python',
    'python3',
    '--processes',
    '2',
    '--values',
    '1',
    '--min-time',
    '0.01',
    '--db',
    db,
    '--no-progress',
  )
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /Stored runs 1 \(complete\)/)
  const list = await cli('show', '--db', db, '--json')
  const page = JSON.parse(list.out)
  assert.equal(page.total, 1)
  assert.equal(page.rows[0].suite, 'custom')
  const one = await cli('show', '1', '--db', db, '--json', '--samples')
  const { results } = JSON.parse(one.out)
  assert.equal(results[0].workload.name, 'nbody')
  assert.equal(results[0].outcome.state, 'measured')
  assert.equal(results[0].processes.length, 3, 'calibration process plus two workers, every sample kept')

  // A second run of the same interpreter reuses the loop count (no calibration process), and
  // says so; --recalibrate calibrates again.
  const quick = ['--workload', 'nbody', '--python', 'python3', '--processes', '2', '--values', '1']
  const again = await cli('run', ...quick, '--min-time', '0.01', '--db', db, '--no-progress')
  assert.equal(again.code, 0, again.err)
  assert.match(
    again.err,
    /loops of 1 of 1 workloads reused from earlier runs on .* \(--recalibrate to calibrate again\)/,
  )
  const second = JSON.parse((await cli('show', '2', '--db', db, '--json', '--samples')).out)
  assert.equal(second.results[0].processes.length, 2, 'two workers, no calibration')
  assert.equal(second.results[0].loops, results[0].loops)
  assert.deepEqual(second.results[0].metadata.calibration, { frozen_loops: results[0].loops })
  // --recalibrate, here with every worker pinned to CPU 0 (taskset), which each process records.
  const fresh = await cli(
    'run',
    ...quick,
    '--min-time',
    '0.01',
    '--db',
    db,
    '--no-progress',
    '--recalibrate',
    '--cpus',
    '0',
  )
  assert.equal(fresh.code, 0, fresh.err)
  assert.doesNotMatch(fresh.err, /reused from earlier runs/)
  const third = JSON.parse((await cli('show', '3', '--db', db, '--json', '--samples')).out)
  assert.equal(third.results[0].processes.length, 3)
  assert.deepEqual(
    third.results[0].processes.map((p: { metadata: { cpu_list?: string } }) => p.metadata.cpu_list),
    ['0', '0', '0'],
  )
  assert.equal(third.run.metadata.cpu_list, '0')
  // How much of that CPU other work took during the run, where the kernel says (/proc/stat).
  if (existsSync('/proc/stat')) {
    const share = third.run.metadata.pinned_cpus_other_share
    assert.ok(typeof share === 'number' && share >= 0 && share <= 1, String(share))
    assert.ok(third.run.metadata.pinned_cpus_other_s >= 0)
  }
  // Without --cpus (auto): every worker on one CPU, the same for all, and the run says which rule
  // placed them (one CPU where this process may use several, none on a one-CPU machine).
  const auto = second.run.metadata
  assert.ok(['one-cpu', 'isolated', 'none'].includes(auto.cpu_pinning), String(auto.cpu_pinning))
  for (const p of second.results[0].processes) assert.equal(p.metadata.cpu_list, auto.cpu_list)
  if (auto.cpu_pinning === 'one-cpu') assert.match(auto.cpu_list, /^\d+$/)
  if (auto.cpu_pinning === 'none') assert.equal(auto.cpu_list, undefined)
  assert.equal(third.run.metadata.cpu_pinning, 'asked')
  // Another minimum value duration is another calibration.
  const other = await cli('run', ...quick, '--min-time', '0.02', '--db', db, '--no-progress')
  assert.doesNotMatch(other.err, /reused from earlier runs/)
})

test('bad input fails with a clear message and exit status 2 before anything runs', async () => {
  const db = join(tmp, 'bad.db')
  const noPython = await cli('run', '--python', '/nope/python', '--db', db)
  assert.equal(noPython.code, 2)
  assert.match(noPython.err, /Cannot use --python "\/nope\/python": expected an executable file/)
  assert.equal(existsSync(db), false, 'no database created for a run that never started')
  const badSuite = await cli('run', '--suite', 'nope', '--db', db)
  assert.equal(badSuite.code, 2)
  assert.match(badSuite.err, /nope/)
  const badNumber = await cli('run', '--processes', 'many')
  assert.equal(badNumber.code, 2)
  assert.match(badNumber.err, /expected an integer for --processes, found "many"/)
  const badPrecision = await cli('run', '--precision', '0%', '--db', db)
  assert.equal(badPrecision.code, 2)
  assert.match(badPrecision.err, /expected a percentage above 0 and below 100 for --precision, found "0%"/)
  const badCpus = await cli('run', '--cpus', '0;rm', '--db', db)
  assert.equal(badCpus.code, 2)
  assert.match(badCpus.err, /Cannot pin to --cpus 0;rm: expected auto, none or a list like 1 or 2-3,5/)
  const boundAlone = await cli('run', '--max-processes', '10', '--db', db)
  assert.equal(boundAlone.code, 2)
  assert.match(boundAlone.err, /Cannot use --max-processes without --precision/)
  const budgetAlone = await cli('run', '--max-time', '10m', '--db', db)
  assert.equal(budgetAlone.code, 2)
  assert.match(budgetAlone.err, /Cannot use --max-time without --precision/)
  const badBudget = await cli('run', '--precision', '1%', '--max-time', 'soon', '--db', db)
  assert.equal(badBudget.code, 2)
  assert.match(badBudget.err, /expected a positive duration like 90s, 10m or 1h for --max-time, found "soon"/)
  const badFormat = await cli('import', 'csv', 'x.csv', '--db', db)
  assert.equal(badFormat.code, 2)
  assert.match(badFormat.err, /Cannot import format "csv": expected one of pyperf/)
})

const files = existsSync(DATA_DIR) ? readdirSync(DATA_DIR).filter((f) => f.endsWith('.json.gz')) : []

test('import, compare with a CI gate, and export of real pyperf files', {
  skip: files.length === 0 && `no data in ${DATA_DIR}`,
}, async () => {
  const db = join(tmp, 'pyperf.db')
  // Two builds on either side of the typing_runtime_protocols regression (2024-04-23..25).
  const first = join(DATA_DIR, 'bm-20240422-3.13.0a6+-550483b.json.gz')
  const second = join(DATA_DIR, 'bm-20240425-3.13.0a6+-2c45148.json.gz')
  const last = join(DATA_DIR, 'bm-20240504-3.13.0a6+-999f0c5.json.gz')
  const imp = await cli('import', 'pyperf', first, second, last, '--db', db)
  assert.equal(imp.code, 0, imp.err)
  assert.match(imp.out, /run 1: .* on pythonperf2, line main, 100 benchmarks, 6280 values/)
  // Each file's ref is a hash: the alpha version places the build on main, and the import says so.
  assert.match(
    imp.err,
    /lineage version-alpha: 3 file\(s\), e\.g\. .*version 3\.13\.0a6\+ is only built from main/,
  )
  // Importing them again stores nothing.
  const twice = await cli('import', 'pyperf', first, second, last, '--db', db)
  assert.equal(twice.code, 0, twice.err)
  assert.match(twice.err, /Imported 0 file\(s\); 3 already imported/)
  // The last file ran with another suite build (benchmark_hash 23f352): compared, with a caveat.
  const other = await cli('compare', '1', '3', '--db', db)
  assert.match(other.out, /Caveat: suiteVersion differs \(1\.10\.0 #9983f9 vs 1\.10\.0 #23f352\)/)
  const cmp = await cli('compare', '1', '2', '--db', db)
  assert.equal(cmp.code, 0)
  assert.match(cmp.out, /Geometric mean of \d+ workloads/)
  assert.match(cmp.out, /typing_runtime_protocols/)
  // Between these builds typing_runtime_protocols became about 45 % slower, and stayed so (the Faster
  // CPython team's published results, faster-cpython/benchmarking-public): the gate trips.
  const gate = await cli('compare', '1', '2', '--db', db, '--fail-on-slowdown', '5', '--json')
  const report = JSON.parse(gate.out)
  assert.ok(report.failing.includes('typing_runtime_protocols'), JSON.stringify(report.failing))
  assert.equal(gate.code, 1)
  const exp = await cli('export', 'pyperf', '1', '--db', db)
  assert.equal(exp.code, 0)
  const original = JSON.parse(gunzipSync(readFileSync(first)).toString('utf8'))
  assert.deepEqual(JSON.parse(exp.out), original)
})

test('a bad file in an import batch leaves the database unchanged', async () => {
  const db = join(tmp, 'atomic.db')
  const good = join(tmp, 'good.json')
  const bad = join(tmp, 'nan.json')
  const doc = (v: string) =>
    `{"version": "1.0", "metadata": {"hostname": "h"}, "benchmarks": [{"metadata": {"name": "b", "python_version": "3.12.0"}, "runs": [{"metadata": {}, "values": [0.5, ${v}]}]}]}`
  writeFileSync(good, doc('0.6'))
  writeFileSync(bad, doc('NaN'))
  const r = await cli('import', 'pyperf', good, bad, '--db', db)
  assert.equal(r.code, 2)
  assert.match(
    r.err,
    /nan\.json": expected a finite non-negative number at benchmark "b" run 0 value 1, found NaN/,
  )
  const list = await cli('show', '--db', db, '--json')
  assert.equal(JSON.parse(list.out).total, 0)
})
