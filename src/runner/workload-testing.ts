import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JsonObject } from '../lib/index.ts'
import type { WorkloadDefinition } from '../model/index.ts'

/**
 * For tests: a workload of one file, `workload.py` holding `code`, written under `dir/name`,
 * with its parameters and the oldest Python it supports.
 */
export function testWorkload(
  dir: string,
  name: string,
  code: string,
  options: { readonly parameters?: JsonObject; readonly requiresPython?: string } = {},
): WorkloadDefinition {
  const wdir = join(dir, name)
  mkdirSync(wdir, { recursive: true })
  writeFileSync(join(wdir, 'workload.py'), code)
  return {
    manifest: {
      name,
      description: name,
      tags: [],
      language: 'python',
      entry: 'workload.py',
      parameters: options.parameters ?? { n: 200 },
      innerLoops: 1,
      requiresPython: options.requiresPython ?? '2.7',
    },
    dir: wdir,
    entryPath: join(wdir, 'workload.py'),
    version: 'test',
  }
}
