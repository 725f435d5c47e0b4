import assert from 'node:assert/strict'
import { test } from 'node:test'
import { frozenJson } from './json.ts'

test('frozenJson: a JSON-clean value is kept (not copied) and frozen all the way down', () => {
  const shared = { x: 1 }
  const value = { a: [1, 'two', true, null, { b: [shared, shared] }], c: { d: -1.5 } }
  const out = frozenJson(value)
  assert.equal(out, value)
  assert.ok(
    Object.isFrozen(out) && Object.isFrozen(out.a) && Object.isFrozen(out.c) && Object.isFrozen(shared),
  )
  assert.throws(() => {
    ;(out.a as unknown[]).push(5)
  }, TypeError)
  // Asked again (a memo's answer): the same object.
  assert.equal(frozenJson(out), out)
})

test('frozenJson: what JSON would rewrite is copied as a client would parse it', () => {
  const cases: [string, unknown, unknown][] = [
    ['undefined property', { a: 1, b: undefined }, { a: 1 }],
    ['NaN and Infinity', [Number.NaN, Number.POSITIVE_INFINITY, 2], [null, null, 2]],
    ['negative zero', { z: -0 }, { z: 0 }],
    ['Date', { at: new Date('2024-01-02T03:04:05Z') }, { at: '2024-01-02T03:04:05.000Z' }],
    ['Map', { m: new Map([[1, 2]]) }, { m: {} }],
    ['undefined in an array', [1, undefined], [1, null]],
    ['toJSON', { t: { toJSON: () => 'T' } }, { t: 'T' }],
    [
      'class instance',
      {
        p: new (class P {
          q = 1
        })(),
      },
      { p: { q: 1 } },
    ],
  ]
  for (const [name, value, expected] of cases) {
    const out = frozenJson(value)
    assert.notEqual(out, value, name)
    assert.deepEqual(out, expected, name)
    assert.ok(Object.isFrozen(out), name)
  }
  assert.equal(Object.is(frozenJson(-0), 0), true)
  assert.equal(frozenJson('s'), 's')
  assert.equal(frozenJson(undefined), undefined)
})

test('frozenJson: a cycle is refused as JSON.stringify refuses it', () => {
  const a: Record<string, unknown> = { n: 1 }
  a.self = a
  assert.throws(() => frozenJson(a), TypeError)
})
