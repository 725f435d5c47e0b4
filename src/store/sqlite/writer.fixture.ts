// A writer process for sqlite.test.ts (not a test itself). Usage:
//   writer.fixture.ts <database> endless        begins a run and adds results until killed,
//                                               printing `result <n>` after each commit
//   writer.fixture.ts <database> batch <n> <id>  inserts n complete runs one batch at a time
import { exampleResult, exampleRunSpec, exampleRunWithResults } from '../fixtures.ts'
import { openSqliteStore } from './index.ts'

const [path, mode, count, id] = process.argv.slice(2)
if (path === undefined || (mode !== 'endless' && mode !== 'batch')) {
  throw new Error('Usage: writer.fixture.ts <database> endless | batch <n> <id>')
}
const store = await openSqliteStore(path)
if (mode === 'endless') {
  const { runId } = await store.beginRun(exampleRunSpec())
  for (let i = 0; ; i++) {
    await store.addResult(runId, exampleResult(`workload_${i}`, { processes: 20, valuesPerProcess: 4 }))
    process.stdout.write(`result ${i}\n`)
  }
}
for (let i = 0; i < Number(count); i++) {
  await store.insertRuns([
    exampleRunWithResults({
      machine: `writer-${id}`,
      startedAt: `2024-10-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    }),
  ])
}
await store.close()
