// Frames of folded (collapsed) stacks, as sampling profilers write them: `function (file:line)`
// for a source frame, `symbol (object)` for a machine-code frame (perf). Pure, with no imports,
// so the browser's bundle can load this file directly (lib/index.ts brings node:crypto along).

/** A frame of a folded stack, as far as telling frames apart goes. */
export interface FrameLike {
  readonly name: string
  readonly file: string
  readonly line: number | null
}

/**
 * Whether a frame is a C (machine-code) frame, as perf writes them (`symbol (object)`): no line,
 * and the file is not Python source (`.py`, or `<frozen …>`, `<string>`).
 */
export function isNativeFrame(frame: FrameLike): boolean {
  return frame.line === null && frame.file !== '' && !/\.pyw?$|^<.*>$/.test(frame.file)
}

/**
 * What a frame is matched by between two profiles (a differential, a differential flame graph):
 * its name, file and line; a C frame by its symbol and the kind of its object — the object's file
 * name without its directory and digits — as two builds of one interpreter load their
 * `libpython3.13.so.1.0` from different prefixes, and two versions a different `libpython3.X`:
 * `float_div` is the same function in both.
 * @example frameMatchKey({ name: 'float_div', file: '/a/lib/libpython3.13.so.1.0', line: null }) // 'float_div\u0000\u0000libpython.so'
 */
export function frameMatchKey(frame: FrameLike): string {
  if (!isNativeFrame(frame)) return `${frame.name}\u0000${frame.file}\u0000${frame.line ?? ''}`
  const base = frame.file.split('/').at(-1) ?? frame.file
  const kind = base
    .replace(/\d+/g, '')
    .replace(/\.{2,}/g, '.')
    .replace(/\.$/, '')
  return `${frame.name}\u0000\u0000${kind}`
}
