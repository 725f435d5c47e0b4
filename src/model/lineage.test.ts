import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isExperiment, type LineageFacts, placeByRules } from './lineage.ts'

// The placement rules without a repository (docs/lineage.md, "Without a repository: the rules"),
// as a table: what a producer recorded → the line and the rule.

const facts = (f: Partial<LineageFacts>): LineageFacts => ({
  version: null,
  ref: null,
  fork: 'python',
  commitSha: null,
  ...f,
})

test('placeByRules() reads forks, branches, tags, hashes with versions and released interpreters', () => {
  const sha = 'dcaf33a41d5d220523d71c9b35bc08f5b8405dac'
  const cases: [Partial<LineageFacts>, string | null, string][] = [
    [{ fork: 'brandtbucher', ref: 'justin', commitSha: 'abc1234' }, 'brandtbucher/justin', 'fork'],
    [{ fork: 'brandtbucher', ref: sha, commitSha: 'dcaf33a' }, 'brandtbucher/dcaf33a', 'fork'],
    [{ ref: 'main', commitSha: 'abc1234', version: '3.14.0a0+' }, 'main', 'recorded-branch'],
    [{ ref: '3.12', commitSha: 'abc1234', version: '3.12.4+' }, '3.12', 'recorded-branch'],
    [{ ref: 'v3.13.0a4', commitSha: '9d34f60', version: '3.13.0a4' }, 'main', 'tag-alpha'],
    [{ ref: 'v3.13.0b1', commitSha: '2268289', version: '3.13.0b1' }, '3.13', 'tag-release'],
    [{ ref: 'v3.11.4', commitSha: 'd2340ef', version: '3.11.4' }, '3.11', 'tag-release'],
    [
      { ref: sha, commitSha: 'dcaf33a', version: '3.13.0a5+ (64-bit) revision dcaf33a' },
      'main',
      'version-alpha',
    ],
    [{ ref: sha, commitSha: 'dcaf33a', version: '3.13.0b1+' }, '3.13', 'version-release'],
    // A hash of digits only is still the recorded commit, not a branch named by digits.
    [
      { ref: '3116242000000000000000000000000000000000', commitSha: '3116242', version: '3.12.0a4+' },
      'main',
      'version-alpha',
    ],
    [{ ref: '3116242', commitSha: '3116242', version: '3.12.0a4+' }, 'main', 'version-alpha'],
    [{ commitSha: 'abc1234', version: '3.12.0rc1+' }, '3.12', 'version-release'],
    [{ version: '3.11.7' }, '3.11.7', 'released-interpreter'],
    [{ ref: sha, commitSha: 'dcaf33a' }, null, 'unplaced'],
    [{}, null, 'unplaced'],
  ]
  for (const [f, branch, rule] of cases) {
    const p = placeByRules(facts(f))
    assert.deepEqual([p.branch, p.rule], [branch, rule], JSON.stringify(f))
    assert.ok(p.note.length > 0)
  }
})

test("isExperiment(): a fork's branch is an experiment, a fork's trunk and every upstream line are histories", () => {
  const table: [branch: string | null, rule: unknown, experiment: boolean][] = [
    ['someone/faster-calls', 'fork', true],
    ['someone/gh-117108-fix', 'fork', true],
    ['someone/main', 'fork', false],
    ['someone/Master', 'fork', false],
    ['someone/trunk', 'fork', false],
    ['main', 'recorded-branch', false],
    ['feature/x', 'recorded-branch', false],
    ['3.13', 'tag-release', false],
    [null, 'fork', false],
  ]
  for (const [branch, rule, expected] of table)
    assert.equal(isExperiment(branch, rule), expected, `${branch} (${String(rule)})`)
})
