/** A value that JSON can carry. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue }

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue }

/** True when `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** JSON.stringify with object keys sorted, so equal values give equal text (for hashing). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (isJsonObject(v)) {
      const sorted: Record<string, unknown> = {}
      for (const k of Object.keys(v).sort()) sorted[k] = v[k]
      return sorted
    }
    return v
  })
}

/**
 * The value at `path` inside `root` (object keys and array indices), or undefined where the path
 * leaves the tree: validation messages use it to quote the value a problem is about.
 */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[p]
  }
  return v
}

/**
 * `value` as a JSON client would parse it, frozen all the way down: the value itself (frozen in
 * place) when JSON would carry it unchanged, else a parsed JSON copy of it (frozen). Unchanged
 * means plain objects and arrays of strings, finite numbers (not −0), booleans and null, with no
 * undefined member, nested at most MAX_JSON_DEPTH deep (so no cycle); anything else (a Date, a
 * Map, NaN, an undefined property, a class instance, a toJSON) is what JSON.stringify would
 * rewrite, so it is copied (symbol keys, which JSON drops, are not looked for: answers have
 * none). Cheaper than the copy on large answers (one walk, no allocation), and an answer shared
 * with a memo still cannot be changed.
 */
export function frozenJson<T>(value: T): T {
  if (value === undefined) return value
  if (typeof value === 'object' && value !== null && checked.has(value)) return value
  const out = freezeIfClean(value, 0) ? value : (JSON.parse(JSON.stringify(value)) as T)
  if (typeof out === 'object' && out !== null) {
    freezeIfClean(out, 0)
    checked.add(out)
  }
  return out
}

/** Deeper than this, frozenJson copies (and JSON.stringify refuses a cycle as it would over HTTP). */
const MAX_JSON_DEPTH = 200

/** Roots frozenJson checked or made (frozen, JSON-clean): a memo's answer is walked once. */
const checked = new WeakSet<object>()

/**
 * Freezes `v` and what it holds while checking that JSON would carry it unchanged; false at the
 * first thing it would not (what was walked until then stays frozen: harmless, it is copied).
 */
function freezeIfClean(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0)
    case 'object': {
      if (v === null) return true
      if (depth >= MAX_JSON_DEPTH) return false
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return false
        for (let i = 0; i < v.length; i++) if (!freezeIfClean(v[i], depth + 1)) return false
      } else {
        const proto = Object.getPrototypeOf(v)
        if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return false
        for (const k in v) {
          if (!Object.hasOwn(v, k) || !freezeIfClean((v as Record<string, unknown>)[k], depth + 1))
            return false
        }
      }
      Object.freeze(v)
      return true
    }
    default:
      return false
  }
}
