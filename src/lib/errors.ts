/**
 * The one domain error of langperf, with a closed set of codes.
 * Messages follow CONTRIBUTING.md: name the action, quote the value, say what was expected;
 * sentence case, no trailing period.
 */
export const ERROR_CODES = [
  'bad-input', // malformed or out-of-range input from a user, a file or a request
  'not-found', // a named thing does not exist
  'conflict', // the request contradicts stored state (e.g. a duplicate)
  'unauthorized', // no or invalid credentials
  'forbidden', // valid credentials without the needed role
  'too-large', // input over a size cap
  'unsupported-media-type', // a request body in a content type or encoding that is not accepted
  'not-implemented', // a feature that this build does not provide yet
  'unavailable', // a dependency (interpreter, database, tool) cannot be used
  'internal', // a bug: an invariant did not hold
] as const

/** One of the closed set of error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** HTTP status for each code: the one table that maps domain errors to HTTP. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  'bad-input': 400,
  'not-found': 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  'too-large': 413,
  'unsupported-media-type': 415,
  'not-implemented': 501,
  unavailable: 503,
  internal: 500,
}

/** An expected failure with a code; anything else thrown is a bug. */
export class LangperfError extends Error {
  override readonly name = 'LangperfError'
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Shorthand for `new LangperfError('bad-input', message)`. */
export function badInput(message: string): LangperfError {
  return new LangperfError('bad-input', message)
}

/** Marks a switch as exhaustive: the compiler errors when a union member is not handled. */
export function assertNever(value: never): never {
  throw new LangperfError('internal', `Unexpected value ${JSON.stringify(value)}`)
}

/** Quotes a value for an error message, shortened so a huge input cannot flood the terminal. */
export function quote(value: unknown, maxChars = 80): string {
  let text: string
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}…`
  return `"${text}"`
}
