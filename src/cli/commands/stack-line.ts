import type { JsonObject } from '../../lib/index.ts'

// The stack a result ran on, as `show` and `compare` print it.

/**
 * One line on the third-party stack a result ran on (`numpy 2.0.2; BLAS openblas 0.3.27 Haswell,
 * 1 thread`), from the `stack` its harness recorded; null when it ran on the standard library only.
 */
export function stackLine(metadata: JsonObject): string | null {
  const stack = metadata.stack
  if (stack === null || typeof stack !== 'object' || Array.isArray(stack)) return null
  const modules = (stack as JsonObject).modules
  const parts: string[] = []
  if (modules !== null && typeof modules === 'object' && !Array.isArray(modules))
    parts.push(
      Object.entries(modules)
        .map(([name, version]) => (typeof version === 'string' ? `${name} ${version}` : name))
        .join(', '),
    )
  const blas = (stack as JsonObject).blas
  const libraries =
    blas !== null && typeof blas === 'object' && !Array.isArray(blas) ? (blas as JsonObject).libraries : null
  // The same library loaded twice (numpy and scipy each bundle an OpenBLAS) is said once, counted.
  const copies = new Map<string, number>()
  if (Array.isArray(libraries))
    for (const lib of libraries) {
      if (lib === null || typeof lib !== 'object' || Array.isArray(lib)) continue
      const words = [lib.api, lib.implementation, lib.version, lib.architecture].filter(
        (w) => typeof w === 'string',
      )
      const threads =
        typeof lib.threads === 'number' ? `, ${lib.threads} thread${lib.threads === 1 ? '' : 's'}` : ''
      const text = `${words.join(' ')}${threads}`
      copies.set(text, (copies.get(text) ?? 0) + 1)
    }
  for (const [text, n] of copies) parts.push(n > 1 ? `${text} (${n} copies loaded)` : text)
  // threadpoolctl names neither reference BLAS nor BLIS as libblas.so.3: the mapped files do.
  const mapped = (stack as JsonObject).native_libraries
  const chosen = metadata.blas
  const chosenLabel =
    chosen !== null && typeof chosen === 'object' && !Array.isArray(chosen)
      ? (chosen as JsonObject).label
      : null
  const label = typeof chosenLabel === 'string' ? chosenLabel : null
  if ((copies.size === 0 || label !== null) && Array.isArray(mapped) && mapped.length > 0)
    parts.push(
      `${label === null ? '' : `--blas ${label}: `}loaded ${mapped
        .filter((m): m is string => typeof m === 'string')
        .map((m) => m.split('/').slice(-2).join('/'))
        .join(', ')}`,
    )
  const blisArch = (stack as JsonObject).blis_arch
  if (typeof blisArch === 'string') parts.push(`BLIS kernels ${blisArch}`)
  return parts.length > 0 ? parts.join('; ') : null
}
