import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createRng } from '../lib/index.ts'
import { optimalValuesPerProcess, relativeMachineTime, varianceComponents } from './allocation.ts'
import { normalSample } from './synthetic.ts'

/** p processes of v log-normal values: each process's log level drawn with sd `between`, values around it with sd `within`. */
function processesOf(seed: number, p: number, v: number, between: number, within: number): number[][] {
  const rng = createRng(seed)
  return normalSample(rng, p, { mean: 0, sd: between }).map((level) =>
    normalSample(rng, v, { mean: level, sd: within }).map(Math.exp),
  )
}

describe('varianceComponents', () => {
  test('recovers the within- and between-process variance of a two-level sample', () => {
    const c = varianceComponents(processesOf(7, 400, 10, 0.02, 0.01))
    assert.ok(c !== null)
    assert.ok(Math.abs(Math.sqrt(c.within) - 0.01) < 0.0005, `within sd ${Math.sqrt(c.within)}`)
    assert.ok(Math.abs(Math.sqrt(c.between) - 0.02) < 0.002, `between sd ${Math.sqrt(c.between)}`)
    assert.equal(c.processes, 400)
    assert.equal(c.valuesPerProcess, 10)
  })

  test('between is floored at 0 when processes agree beyond their values', () => {
    const c = varianceComponents(processesOf(3, 200, 5, 0, 0.01))
    assert.ok(c !== null)
    assert.ok(c.between < 0.01 ** 2 / 5 / 4, `between ${c.between}`)
    assert.ok(c.between >= 0)
  })

  test('needs two processes of two positive values; others are left out', () => {
    assert.equal(varianceComponents([[1, 2]]), null)
    assert.equal(varianceComponents([[1], [2], [3]]), null)
    const c = varianceComponents([[1, 2], [2, 4], [Number.NaN, -1, 0], [5]])
    assert.equal(c?.processes, 2)
    assert.ok(c !== null && Math.abs(c.within - Math.log(2) ** 2 / 2) < 1e-12)
  })
})

describe('optimalValuesPerProcess', () => {
  const costs = { processS: 1.2, valueS: 0.1 }
  test('v* = √(c_p σ²_w / (c_v σ²_b)), rounded to the cheaper neighbour', () => {
    // √(1.2 × 1e-4 / (0.1 × 1e-4)) = √12 ≈ 3.46
    const a = optimalValuesPerProcess({ within: 1e-4, between: 1e-4 }, costs)
    assert.ok(Math.abs(a.optimum - Math.sqrt(12)) < 1e-12)
    assert.equal(a.values, 3)
    assert.ok(
      relativeMachineTime({ within: 1e-4, between: 1e-4 }, costs, 3) <=
        relativeMachineTime({ within: 1e-4, between: 1e-4 }, costs, 4),
    )
  })

  test('more values where processes agree, more processes where they do not', () => {
    const agree = optimalValuesPerProcess({ within: 1e-4, between: 1e-6 }, costs)
    const differ = optimalValuesPerProcess({ within: 1e-6, between: 1e-4 }, costs)
    assert.equal(agree.values, 20, 'held at the bound (optimum 34.6)')
    assert.equal(differ.values, 1)
    assert.equal(optimalValuesPerProcess({ within: 1e-4, between: 0 }, costs).values, 20)
    assert.equal(optimalValuesPerProcess({ within: 0, between: 1e-4 }, costs).values, 1)
    assert.equal(
      optimalValuesPerProcess({ within: 1e-4, between: 1e-6 }, costs, { min: 2, max: 8 }).values,
      8,
    )
  })

  test('the optimum needs no more machine time than any other allocation', () => {
    const v = { within: 4e-4, between: 1e-5 }
    const best = optimalValuesPerProcess(v, costs).values
    for (let k = 1; k <= 20; k++)
      assert.ok(relativeMachineTime(v, costs, best) <= relativeMachineTime(v, costs, k) + 1e-18, `v=${k}`)
  })

  test('refuses costs or variances that are not positive', () => {
    assert.throws(
      () => optimalValuesPerProcess({ within: 1, between: 1 }, { processS: 1, valueS: 0 }),
      RangeError,
    )
    assert.throws(() => optimalValuesPerProcess({ within: -1, between: 1 }, costs), RangeError)
  })
})
