import { isNativeFrame } from '../lib/folded-frames.ts'
import { type DiffNodeData, type DiffScale, diffFill, diffTooltip } from './flame-diff.ts'
import { fnv1a } from './links.ts'

// The flame graph of a profile, drawn by the dashboard itself as SVG: the server renders it
// whole (it works without JavaScript and in the static report; each frame's <title> is its
// tooltip) and the `flame` island renders the same component with click-to-zoom. Drawn here rather
// than with speedscope, whose static build cannot run under the pages' Content-Security-Policy:
// it injects <style> elements (Aphrodite) and instantiates WebAssembly at start, which
// `style-src 'self'` and `script-src 'self'` refuse (docs/profiles.md, "Views").
//
// Layout: an icicle, the root on top and each frame's callees below it, a frame's width its share
// of the samples of the frame in focus. Zoomed on a frame, its callers are drawn full width
// above it (dimmed) and its siblings are left out, as flamegraph.pl does.

/**
 * One frame of the tree, as the API's getProfileFlame gives it (declared here so that the browser
 * bundle needs nothing of api/).
 */
export interface FlameNodeData {
  readonly name: string
  readonly file: string
  readonly line: number | null
  readonly total: number
  readonly self: number
  readonly children: readonly FlameNodeData[]
}

/** Props of the flame island: a profile's tree as the API gives it. */
export interface FlameIslandProps {
  readonly root: FlameNodeData
  /** Every sample counted (the root's total). */
  readonly samples: number
  readonly timedOnly: boolean
  /** A differential flame graph (flame-diff.ts): `root` is a DiffNodeData tree, coloured by it. */
  readonly diff?: DiffScale
}

/** One drawn frame. */
export interface FlameRect {
  readonly node: FlameNodeData
  /** Child indices from the root: the frame's address in the tree. */
  readonly path: readonly number[]
  /** Left edge and width as fractions of the drawing's width. */
  readonly x: number
  readonly width: number
  readonly depth: number
  /** A caller of the frame in focus, drawn full width. */
  readonly ancestor: boolean
}

/** Drawing width in SVG units (the SVG scales to its container). */
export const FLAME_WIDTH = 1200
const ROW_HEIGHT = 17
/** Frames narrower than this many units are not drawn (their samples stay in their caller's width). */
const MIN_UNITS = 0.6
/** An estimate of one character's width at the drawing's font size, for truncating names. */
const CHAR_UNITS = 6.6

/** The node at `path`, or undefined when the path leads nowhere. */
export function nodeAt(root: FlameNodeData, path: readonly number[]): FlameNodeData | undefined {
  let node: FlameNodeData | undefined = root
  for (const i of path) node = node?.children[i]
  return node
}

/**
 * The frames to draw with the frame at `focus` spanning the width: its callers above it (full
 * width), its callees below in proportion to its samples; frames under `minFraction` of the
 * focus's width are left out.
 */
export function flameRects(
  root: FlameNodeData,
  focus: readonly number[] = [],
  options: { readonly minFraction?: number } = {},
): { readonly rects: readonly FlameRect[]; readonly depth: number } {
  const minFraction = options.minFraction ?? MIN_UNITS / FLAME_WIDTH
  const target = nodeAt(root, focus) === undefined ? [] : focus
  const rects: FlameRect[] = []
  let node = root
  for (let d = 0; d < target.length; d++) {
    rects.push({ node, path: target.slice(0, d), x: 0, width: 1, depth: d, ancestor: true })
    node = node.children[target[d] as number] as FlameNodeData
  }
  let depth = target.length
  const walk = (n: FlameNodeData, path: readonly number[], x: number, width: number, d: number) => {
    rects.push({ node: n, path, x, width, depth: d, ancestor: false })
    depth = Math.max(depth, d)
    let left = x
    n.children.forEach((c, i) => {
      const w = n.total > 0 ? (width * c.total) / n.total : 0
      if (w >= minFraction) walk(c, [...path, i], left, w, d + 1)
      left += w
    })
  }
  walk(node, target, 0, 1, target.length)
  return { rects, depth: depth + 1 }
}

/**
 * The harness's own frames and the root are grey; the workload's are warm, by a hash of the name;
 * C frames (perf profiles) blue-green, the kernel's orange.
 */
function fillOf(node: FlameNodeData, isRoot: boolean): string {
  if (isRoot || /(^|[/\\])langperf_harness\.py$/.test(node.file) || node.file.startsWith('<frozen '))
    return '#c9c9c9'
  const h = Number.parseInt(fnv1a(`${node.name}\u0000${node.file}`), 16)
  if (isNativeFrame(node)) {
    if (node.file === '[kernel.kallsyms]') return `rgb(${230 + (h % 25)},${140 + ((h >>> 8) % 40)},60)`
    return `rgb(${60 + (h % 50)},${150 + ((h >>> 8) % 70)},${170 + ((h >>> 16) % 60)})`
  }
  // flamegraph.pl's "hot" palette: red to yellow.
  const r = 205 + (h % 50)
  const g = 80 + ((h >>> 8) % 150)
  const b = (h >>> 16) % 55
  return `rgb(${r},${g},${b})`
}

/** `name (file:line)` as a tooltip says it, with the frame's samples. */
function tooltipOf(node: FlameNodeData, samples: number): string {
  const pct = (n: number) => (samples > 0 ? `${((100 * n) / samples).toFixed(1)} %` : '–')
  const where = node.file === '' ? '' : ` (${node.file}${node.line === null ? '' : `:${node.line}`})`
  return `${node.name}${where}\n${node.total} samples (${pct(node.total)}), ${node.self} in its own code (${pct(node.self)})`
}

/** A name cut to fit `units` of width, or '' when not even two characters fit. */
function fitted(name: string, units: number): string {
  const chars = Math.floor((units - 6) / CHAR_UNITS)
  if (chars < 2) return ''
  return name.length <= chars ? name : `${name.slice(0, chars - 1)}…`
}

/**
 * The flame graph as SVG. With `onSelect`, each frame is a button that zooms on it (the island);
 * without, a static drawing with tooltips (the server's page, the report).
 */
export function FlameGraph(props: {
  readonly root: FlameNodeData
  readonly focus?: readonly number[]
  readonly onSelect?: (path: readonly number[]) => void
  readonly label: string
  /** Colours and tooltips of a differential: `root` is then a DiffNodeData tree (flame-diff.ts). */
  readonly diff?: DiffScale
}) {
  const diff = props.diff
  const { rects, depth } = flameRects(props.root, props.focus ?? [])
  const height = depth * ROW_HEIGHT
  const samples = props.root.total
  const select = props.onSelect
  return (
    <svg
      class="flame"
      viewBox={`0 0 ${FLAME_WIDTH} ${height}`}
      width="100%"
      role="img"
      aria-label={props.label}
      preserveAspectRatio="xMinYMin meet"
    >
      {rects.map((r) => {
        const x = r.x * FLAME_WIDTH
        const w = r.width * FLAME_WIDTH
        const y = r.depth * ROW_HEIGHT
        const isRoot = r.path.length === 0
        const name = isRoot ? `all (${samples} samples)` : r.node.name
        const interactive =
          select === undefined
            ? {}
            : {
                role: 'button' as const,
                tabIndex: 0,
                onClick: () => select(r.path),
                onKeyDown: (e: KeyboardEvent) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault()
                    select(r.path)
                  }
                },
              }
        return (
          <g
            key={r.path.join('.')}
            class={r.ancestor ? 'flame-frame flame-ancestor' : 'flame-frame'}
            {...interactive}
          >
            <title>
              {diff === undefined
                ? tooltipOf(r.node, samples)
                : `${tooltipOf(r.node, samples)}\n${diffTooltip(r.node as DiffNodeData, diff)}`}
            </title>
            <rect
              x={x}
              y={y}
              width={Math.max(w - 0.5, 0.1)}
              height={ROW_HEIGHT - 1}
              fill={diff === undefined ? fillOf(r.node, isRoot) : diffFill(r.node as DiffNodeData, diff)}
            />
            <text x={x + 3} y={y + ROW_HEIGHT - 5}>
              {fitted(name, w)}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
