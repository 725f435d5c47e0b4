import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCsv, parseCsvRows } from './csv.ts'

test('parseCsvRows() keeps commas, quotes and newlines inside quoted fields', () => {
  const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\n1,,3'
  assert.deepEqual(parseCsvRows(text), [
    ['a', 'b', 'c'],
    ['x, y', 'say "hi"', 'two\nlines'],
    ['1', '', '3'],
  ])
})

test('parseCsv() keys fields by header and ignores a trailing newline', () => {
  assert.deepEqual(parseCsv('k,v\nx,"1,5"\n'), [{ k: 'x', v: '1,5' }])
})
