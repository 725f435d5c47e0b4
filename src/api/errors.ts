import type { z } from 'zod'
import { valueAt } from '../lib/json.ts'

// Turning validation problems into the one-sentence messages of CONTRIBUTING.md: the action,
// where the problem is, what was expected and what was found. Zod gives a list of issues; the
// first is spelt out and the rest counted, so a client sees one clear sentence.

/** Where a validated value came from, for messages: the body, the query string or the path. */
export type InputLocation = 'body' | 'query' | 'params' | 'headers'

/** Describes a value found in input, shortened so a huge value cannot flood a message. */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'number' && Number.isNaN(value)) return 'a value that is not a number'
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}

/** `results[3].processes[0].values` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out === '' ? String(p) : `.${String(p)}`
  }
  return out
}

function where(location: InputLocation, path: readonly PropertyKey[]): string {
  const p = formatPath(path)
  switch (location) {
    case 'query':
      return p === '' ? 'the query string' : `query parameter "${p}"`
    case 'params':
      return p === '' ? 'the path' : `path parameter "${p}"`
    case 'headers':
      return p === '' ? 'the headers' : `header "${p}"`
    case 'body':
      return p === '' ? 'the body' : `"${p}"`
  }
}

const ARTICLE: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  integer: 'an integer',
  int: 'an integer',
}

function sizeWord(origin: string | undefined, n: number | bigint): string {
  if (origin === 'string') return `${n} character${n === 1 ? '' : 's'}`
  if (origin === 'array' || origin === 'set') return `${n} item${n === 1 ? '' : 's'}`
  return String(n)
}

function foundSize(origin: string | undefined, input: unknown): string {
  if (origin === 'string' && typeof input === 'string') return `${input.length} characters`
  if (Array.isArray(input)) return `${input.length} items`
  return describeFound(input)
}

/** What an issue expected and what it found, in words. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): { expected: string; found: string | null } {
  // A coerced value (a query parameter "abc" read as a number) is reported as NaN: name what was sent.
  const reported = (issue as { input?: unknown }).input
  const input =
    raw !== undefined && (reported === null || Number.isNaN(reported)) && issue.code === 'invalid_type'
      ? (valueAt(raw, issue.path) ?? reported)
      : reported
  switch (issue.code) {
    case 'invalid_type':
      return { expected: ARTICLE[issue.expected] ?? `a ${issue.expected}`, found: describeFound(input) }
    case 'too_big':
      return {
        expected: `${issue.inclusive === false ? 'below' : 'at most'} ${sizeWord(issue.origin, issue.maximum as number)}`,
        found: foundSize(issue.origin, input),
      }
    case 'too_small':
      return {
        expected: `${issue.inclusive === false ? 'above' : 'at least'} ${sizeWord(issue.origin, issue.minimum as number)}`,
        found: foundSize(issue.origin, input),
      }
    case 'invalid_format':
      return {
        expected: issue.message.startsWith('Invalid') ? `a valid ${issue.format}` : issue.message,
        found: describeFound(input),
      }
    case 'not_multiple_of':
      return { expected: `a multiple of ${issue.divisor}`, found: describeFound(input) }
    case 'invalid_value':
      return {
        expected:
          issue.values.length === 1
            ? JSON.stringify(issue.values[0])
            : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        found: describeFound(input),
      }
    case 'unrecognized_keys':
      return {
        expected: 'no other keys',
        found: issue.keys.map((k) => `"${k}"`).join(', '),
      }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string; options?: unknown[] }).discriminator
      const options = (issue as { options?: unknown[] }).options
      if (disc !== undefined && Array.isArray(options)) {
        const value =
          input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[disc] : input
        return {
          expected: `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`,
          found: describeFound(value),
        }
      }
      return {
        expected: issue.message.startsWith('Invalid') ? 'one of the accepted forms' : issue.message,
        found: describeFound(input),
      }
    }
    case 'invalid_key':
      return { expected: 'valid keys', found: describeFound(input) }
    case 'invalid_element':
      return { expected: 'valid elements', found: describeFound(input) }
    case 'custom':
      return { expected: issue.message, found: describeFound(input) }
    default:
      return { expected: (issue as { message: string }).message, found: null }
  }
}

/**
 * One sentence for a list of zod issues, e.g.
 * `Cannot list runs: expected query parameter "limit" to be at most 1000, found 5000`.
 * Parse with `{ reportInput: true }` so the found values can be named.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  options: {
    readonly action: string
    readonly location: InputLocation
    /** The input as it arrived, to name values that coercion turned into NaN. */
    readonly input?: unknown
  },
): string {
  const first = issues[0]
  if (first === undefined) return `Cannot ${options.action}: the input is not valid`
  const { expected, found } = describeIssue(first, options.input)
  const place = where(options.location, first.path)
  const verb = first.code === 'unrecognized_keys' ? 'to have' : 'to be'
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : ''
  return `Cannot ${options.action}: expected ${place} ${verb} ${expected}${found === null ? '' : `, found ${found}`}${more}`
}

/** An error answer of the API, thrown by the typed client. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly statusCode: number
  /** The error code of the body (`bad-input`, `unauthorized`, …), or `http-<status>` without one. */
  readonly code: string
  constructor(statusCode: number, code: string, message: string) {
    super(message)
    this.statusCode = statusCode
    this.code = code
  }
}
