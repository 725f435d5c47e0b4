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
 * undefined member and no cycle; anything else (a Date, a Map, NaN, an undefined property, a
 * class instance, a toJSON) is what JSON.stringify would rewrite, so it is copied. Cheaper than
 * the copy on large answers, and an answer shared with a memo still cannot be changed.
 */
export function frozenJson<T>(value: T): T {
  if (typeof value === 'object' && value !== null && checked.has(value)) return value
  if (value === undefined) return value
  const out = isCleanJson(value, new Set()) ? value : (JSON.parse(JSON.stringify(value)) as T)
  if (typeof out === 'object' && out !== null) {
    deepFreeze(out)
    checked.add(out)
  }
  return out
}

/** Roots frozenJson checked or made (frozen, JSON-clean): a memo's answer is walked once. */
const checked = new WeakSet<object>()

/** True when JSON.stringify then JSON.parse would give `v` back unchanged; `open` holds its ancestors. */
function isCleanJson(v: unknown, open: Set<object>): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0)
    case 'object': {
      if (v === null) return true
      if (open.has(v)) return false // a cycle (a shared object that is not an ancestor is fine)
      const proto = Object.getPrototypeOf(v)
      open.add(v)
      if (Array.isArray(v)) {
        if (proto !== Array.prototype) return false
        for (let i = 0; i < v.length; i++) if (!isCleanJson(v[i], open)) return false
      } else {
        if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return false
        if (Object.getOwnPropertySymbols(v).length > 0) return false
        for (const k in v) {
          if (!Object.hasOwn(v, k) || !isCleanJson((v as Record<string, unknown>)[k], open)) return false
        }
      }
      open.delete(v)
      return true
    }
    default:
      return false
  }
}

function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null) return
  Object.freeze(v)
  if (Array.isArray(v)) for (const x of v) deepFreeze(x)
  else for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k])
}
