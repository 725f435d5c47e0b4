import type { z } from 'zod'
import { LangperfError, quote, valueAt } from '../lib/index.ts'
import { MACHINE_NAME_RE, NAME_RE } from './values.ts'

// The messages of a configuration that does not load: each names the file, the key path, what
// was expected and what was found, so the reader can fix the file without reading the code.

/** One problem found in a configuration: where and what. */
export interface Problem {
  readonly path: readonly PropertyKey[]
  /** Full sentence fragment after the key path, e.g. `expected …, found …`. */
  readonly text: string
}

/**
 * The `bad-input` error listing every problem of the configuration `fileName`, each after its key
 * path in `raw` (the parsed TOML), so one attempt shows everything to fix.
 */
export function configError(problems: readonly Problem[], raw: unknown, fileName: string): LangperfError {
  const lines = problems.map((p) => `${formatPath(p.path, raw)} ${p.text}`)
  const body = lines.length === 1 ? lines[0] : `${lines.length} problems:\n- ${lines.join('\n- ')}`
  return new LangperfError('bad-input', `Cannot load configuration ${quote(fileName, 200)}: ${body}`)
}

/**
 * What a value of a recurring kind should look like, in the words of every message about it, so
 * the schema and the cross-checks describe one kind of value the same way.
 */
export function expectation(key: 'envName' | 'name' | 'ref' | 'size' | 'duration'): string {
  switch (key) {
    case 'envName':
      return 'an environment variable name such as "GITHUB_TOKEN"'
    case 'name':
      return `a name of lower-case letters, digits, "_", "-" and "." (matching ${NAME_RE})`
    case 'ref':
      return 'a git branch, tag or commit (not starting with "-", no spaces)'
    case 'size':
      return 'a size such as "50 GiB", "500 MB" or a whole number of bytes'
    case 'duration':
      return 'a duration such as "90s", "45m", "2h" or "1h30m"'
  }
}

/** Keys that look like a secret written into the file, and the `*_env` key to use instead. */
const SECRET_KEYS: Readonly<Record<string, string>> = {
  token: 'token_env',
  github_token: 'token_env',
  api_key: 'token_env',
  secret: 'token_env',
  password: 'password_env',
  smtp_password: 'password_env',
}

/**
 * The problem a zod issue stands for, in the file's words: unknown keys (a secret written into
 * the file gets its own message), a missing key, or what was expected and what was found.
 */
export function issueProblem(issue: z.core.$ZodIssue, raw: unknown): Problem {
  if (issue.code === 'unrecognized_keys') {
    const secret = issue.keys.find((k) => Object.hasOwn(SECRET_KEYS, k.toLowerCase()))
    if (secret !== undefined) {
      return {
        path: [...issue.path, secret],
        text: `must not hold a secret in the file, expected the name of an environment variable in ${quote(SECRET_KEYS[secret.toLowerCase()])} instead`,
      }
    }
    const keys = issue.keys.map((k) => quote(k)).join(', ')
    return {
      path: issue.path,
      text: `has unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}, expected ${issue.message}`,
    }
  }
  const value = valueAt(raw, issue.path)
  if (value === undefined) return { path: issue.path, text: `is missing, expected ${issue.message}` }
  return { path: issue.path, text: `expected ${issue.message}, found ${describeValue(value)}` }
}

/**
 * `runtimes.cpython.configs.jit.configure`: array entries named by their `name` when they have one,
 * so a message points at the entry a reader sees in the file rather than at an index.
 */
export function formatPath(path: readonly PropertyKey[], raw: unknown): string {
  if (path.length === 0) return 'the file'
  let out = ''
  let node: unknown = raw
  for (const key of path) {
    const child =
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined
    if (typeof key === 'number') {
      const entryName =
        child !== null && typeof child === 'object' ? (child as Record<string, unknown>).name : undefined
      out += typeof entryName === 'string' && MACHINE_NAME_RE.test(entryName) ? `.${entryName}` : `[${key}]`
    } else {
      const k = String(key)
      const bare = /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)
      out += out === '' ? bare : `.${bare}`
    }
    node = child
  }
  return out
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array ${quote(value)}`
  if (value instanceof Date) return `the unquoted date or time ${quote(value.toISOString())}`
  if (value !== null && typeof value === 'object') return 'a table'
  if (typeof value === 'string') return quote(value)
  return `the ${typeof value} ${String(value)}`
}

/**
 * ` (did you mean "x"?)` for a key within edit distance 2 of a known one: a misspelt key is an
 * error, and the message should say which key was meant.
 */
export function suggestion(unknown: readonly string[], known: readonly string[]): string {
  for (const key of unknown) {
    const best = known.map((k) => ({ k, d: editDistance(key.toLowerCase(), k) })).sort((a, b) => a.d - b.d)[0]
    if (best !== undefined && best.d <= 2) return ` (did you mean ${quote(best.k)} for ${quote(key)}?)`
  }
  return ''
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost))
    }
    prev = cur
  }
  return prev[b.length] as number
}

/**
 * The `bad-input` error of a problem a command finds in `[[suites.define]]` when it reads the
 * disk (a folder that is not there, a name a built-in suite has): the same message as a problem
 * found in parsing, naming the file and the key (`suites.define.shop.path`).
 */
export function definedSuiteError(
  config: {
    readonly file: string
    readonly suites: { readonly defined: readonly { readonly name: string }[] }
  },
  index: number,
  key: string,
  text: string,
): LangperfError {
  const raw = { suites: { define: config.suites.defined.map((d) => ({ name: d.name })) } }
  return configError([{ path: ['suites', 'define', index, key], text }], raw, config.file)
}
