import assert from 'node:assert/strict'
import { test } from 'node:test'
import { differentialHeadline, functionChangeText } from '../model/index.ts'
import {
  differentialSummary,
  diffProfiles,
  flameTree,
  mergeCollapsedStacks,
  parseCollapsedStacks,
  parseFrame,
  stacksThrough,
  topFunctions,
} from './profile-stacks.ts'

// Hand-made stacks with answers counted by hand.

// 50 samples: f is the leaf of 30 (twice through recursion in 4 of them), g of 10, main of 6;
// 4 samples have no Python frame.
const A = [
  '<module> (/w/a.py:1);main (/w/a.py:3);f (/w/a.py:10) 26',
  '<module> (/w/a.py:1);main (/w/a.py:3);f (/w/a.py:10);f (/w/a.py:10) 4',
  '<module> (/w/a.py:1);main (/w/a.py:3);g (/w/my lib.py:7) 10',
  '<module> (/w/a.py:1);main (/w/a.py:3) 6',
  ' 4',
  '',
].join('\n')

// 50 samples: f the leaf of 20, g of 10, h (new) of 14, main of 6.
const B = [
  '<module> (/w/a.py:1);main (/w/a.py:3);f (/w/a.py:10) 20',
  '<module> (/w/a.py:1);main (/w/a.py:3);g (/w/my lib.py:7) 10',
  '<module> (/w/a.py:1);main (/w/a.py:3);h (/w/x/hook.py:20) 14',
  '<module> (/w/a.py:1);main (/w/a.py:3) 6',
].join('\n')

test('parseFrame() reads `function (file:line)`, file names with spaces and parentheses included', () => {
  assert.deepEqual(parseFrame('step (/w/a b (1).py:12)'), { name: 'step', file: '/w/a b (1).py', line: 12 })
  assert.deepEqual(parseFrame('<lambda> (x.py:3)'), { name: '<lambda>', file: 'x.py', line: 3 })
  assert.deepEqual(parseFrame('<unknown>'), { name: '<unknown>', file: '', line: null })
})

test('parseCollapsedStacks() counts every sample, frameless stacks included, and skips unreadable lines', () => {
  const p = parseCollapsedStacks(`${A}garbage without a count\nx (a.py:1) 0\n`)
  assert.equal(p.samples, 50)
  assert.equal(p.stacks.length, 5)
  assert.equal(p.unreadLines, 2)
  assert.deepEqual(p.stacks[4], { frames: [], count: 4 })
  assert.deepEqual(p.stacks[2]?.frames.at(-1), { name: 'g', file: '/w/my lib.py', line: 7 })
})

test('topFunctions() gives self and total samples with shares, recursion counted once per stack', () => {
  const top = topFunctions(parseCollapsedStacks(A), { lines: 'definition' })
  assert.equal(top.samples, 50)
  assert.equal(top.withoutFrames, 4)
  const rows = top.rows.map((r) => [r.name, r.line, r.self, r.total, r.selfPercent, r.totalPercent])
  assert.deepEqual(rows, [
    ['f', 10, 30, 30, 60, 60],
    ['g', 7, 10, 10, 20, 20],
    ['main', 3, 6, 46, 12, 92],
    ['<module>', 1, 0, 46, 0, 92],
  ])
})

test("topFunctions() with lines: 'current' makes one function of its frames at different lines", () => {
  const text = 'main (a.py:3);f (a.py:11) 3\nmain (a.py:4);f (a.py:12) 2\nmain (a.py:5) 5\n'
  const top = topFunctions(parseCollapsedStacks(text), { lines: 'current' })
  assert.deepEqual(
    top.rows.map((r) => [r.name, r.file, r.line, r.self, r.total]),
    [
      ['main', 'a.py', null, 5, 10],
      ['f', 'a.py', null, 5, 5],
    ],
  )
})

test('mergeCollapsedStacks() sums identical stacks across processes, in a stable order', () => {
  const merged = mergeCollapsedStacks(['b (x.py:1) 2\na (x.py:1) 1\n', 'a (x.py:1) 4\n 3\n'])
  assert.equal(merged, ' 3\na (x.py:1) 5\nb (x.py:1) 2\n')
  assert.equal(parseCollapsedStacks(merged).samples, 10)
})

test('diffProfiles() gives the change in self share in points with its interval, largest change first', () => {
  // A: f 30 of 50 (60 %), B: f 20 of 50 (40 %) → −20 points. Agresti–Caffo variance by hand:
  // p̃A = 31/52 = 0.596154, p̃B = 21/52 = 0.403846; var = 2 × 0.596154 × 0.403846 / 52 = 0.00925976;
  // se = 0.0962277; 1.959964 × se = 18.8602 points → [−38.8602, −1.1398].
  const d = diffProfiles(
    topFunctions(parseCollapsedStacks(A), { lines: 'definition' }),
    topFunctions(parseCollapsedStacks(B), { lines: 'definition' }),
  )
  assert.equal(d.samplesA, 50)
  assert.equal(d.samplesB, 50)
  const f = d.rows.find((r) => r.name === 'f')!
  assert.ok(Math.abs(f.deltaPoints - -20) < 1e-9)
  assert.ok(Math.abs(f.low - -38.8602) < 1e-3, String(f.low))
  assert.ok(Math.abs(f.high - -1.1398) < 1e-3, String(f.high))
  assert.equal(f.significant, true)
  // h: 0 → 14 of 50 = +28 points, the largest change; g and main unchanged; <module> never a leaf.
  assert.deepEqual(
    d.rows.map((r) => [r.name, Math.round(r.deltaPoints * 1000) / 1000]),
    [
      ['h', 28],
      ['f', -20],
      ['g', 0],
      ['main', 0],
      ['<module>', 0],
    ],
  )
  const g = d.rows.find((r) => r.name === 'g')!
  assert.equal(g.significant, false)
  assert.ok(g.low < 0 && g.high > 0)
})

test('differentialSummary() keeps the largest changes and differentialHeadline() names those beyond their interval', () => {
  const d = diffProfiles(
    topFunctions(parseCollapsedStacks(A), { lines: 'definition' }),
    topFunctions(parseCollapsedStacks(B), { lines: 'definition' }),
  )
  const s = differentialSummary(d, { timedOnly: true, rows: 3 })
  assert.deepEqual(
    s.rows.map((r) => r.name),
    ['h', 'f', 'g'],
  )
  assert.equal(s.timedOnly, true)
  assert.equal(s.samplesB, 50)
  // h: 0 → 14 of 50 = +28 points; f: 60 % → 40 % = −20 points (both beyond their intervals).
  const headline = differentialHeadline(s)
  assert.match(
    headline,
    /^\+28\.0 points self time in h \(x\/hook\.py:20\): 0\.0 % → 28\.0 % \[\+\d+\.\d, \+\d+\.\d\]; −20\.0 points self time in f \(w\/a\.py:10\)/,
  )
  assert.equal(differentialHeadline(s, { max: 1 }), functionChangeText(s.rows[0]!))
  const top = topFunctions(parseCollapsedStacks(A), { lines: 'definition' })
  const same = differentialSummary(diffProfiles(top, top), { timedOnly: false })
  assert.match(
    differentialHeadline(same),
    /^no function's self time moved beyond its 95 % interval \(largest: /,
  )
})

test('flameTree() nests the stacks by frame with total and self samples, folding the narrowest', () => {
  const tree = flameTree(parseCollapsedStacks(A), { lines: 'definition' })
  assert.equal(tree.samples, 50)
  assert.equal(tree.root.total, 50)
  assert.equal(tree.root.self, 4, 'the frameless samples')
  const module = tree.root.children[0]!
  assert.deepEqual([module.name, module.total, module.self], ['<module>', 46, 0])
  const main = module.children[0]!
  assert.deepEqual(
    main.children.map((c) => [c.name, c.total, c.self, c.children.length]),
    [
      ['f', 30, 26, 1],
      ['g', 10, 10, 0],
    ],
  )
  assert.equal(main.self, 6)
  assert.equal(tree.foldedSamples, 0)
  // At a tenth of the samples (5), the recursive f (4 samples) is folded into its parent's self.
  const coarse = flameTree(parseCollapsedStacks(A), { lines: 'definition', minFraction: 0.1 })
  assert.equal(coarse.minSamples, 5)
  assert.equal(coarse.foldedSamples, 4)
  const f = coarse.root.children[0]!.children[0]!.children[0]!
  assert.deepEqual([f.name, f.total, f.self, f.children.length], ['f', 30, 30, 0])
})

test('stacksThrough() keeps the stacks with a frame it accepts and recounts their samples', () => {
  const through = stacksThrough(parseCollapsedStacks(A), (f) => f.name === 'f')
  assert.equal(through.samples, 30)
  assert.equal(through.stacks.length, 2)
  assert.equal(topFunctions(through, { lines: 'definition' }).rows[0]?.selfPercent, 100)
})
