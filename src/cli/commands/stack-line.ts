import type { JsonObject } from '../../lib/index.ts'
import { readStack } from '../../model/index.ts'

// The stack a result ran on, as `show` and `compare` print it.

/**
 * One line on the third-party stack a result ran on (`numpy 2.0.2; BLAS openblas 0.3.27 Haswell,
 * 1 thread`), from the `stack` its harness recorded; null when it ran on the standard library only.
 */
export function stackLine(metadata: JsonObject): string | null {
  const stack = readStack(metadata)
  if (stack === null || !stack.hasStack) return null
  const parts: string[] = []
  if (stack.modules.length > 0)
    parts.push(
      stack.modules.map(([name, version]) => (version !== null ? `${name} ${version}` : name)).join(', '),
    )
  // The same library loaded twice (numpy and scipy each bundle an OpenBLAS) is said once, counted.
  const copies = new Map<string, number>()
  for (const lib of stack.libraries) {
    const words = [lib.api, lib.implementation, lib.version, lib.architecture].filter((w) => w !== null)
    const threads = lib.threads !== null ? `, ${lib.threads} thread${lib.threads === 1 ? '' : 's'}` : ''
    const text = `${words.join(' ')}${threads}`
    copies.set(text, (copies.get(text) ?? 0) + 1)
  }
  for (const [text, n] of copies) parts.push(n > 1 ? `${text} (${n} copies loaded)` : text)
  // threadpoolctl names neither reference BLAS nor BLIS as libblas.so.3: the mapped files do.
  const label = stack.chosen?.label ?? null
  if ((copies.size === 0 || label !== null) && stack.mapped.length > 0)
    parts.push(
      `${label === null ? '' : `--blas ${label}: `}loaded ${stack.mapped.map((m) => m.split('/').slice(-2).join('/')).join(', ')}`,
    )
  if (stack.blisArch !== null) parts.push(`BLIS kernels ${stack.blisArch}`)
  return parts.length > 0 ? parts.join('; ') : null
}
