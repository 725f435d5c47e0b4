import { useState } from 'preact/hooks'
import { FlameGraph, type FlameIslandProps, nodeAt } from '../flame.tsx'

// The flame graph with click-to-zoom: a frame clicked spans the width, its callers drawn above it;
// the server's drawing of the same component is the fallback without JavaScript.

/** The flame island of a profile page. */
export function FlameIsland(props: FlameIslandProps) {
  const [focus, setFocus] = useState<readonly number[]>([])
  const node = nodeAt(props.root, focus)
  const share = node === undefined || props.samples === 0 ? 0 : (100 * node.total) / props.samples
  return (
    <div>
      <p class="small muted flame-help">
        Click a frame to zoom on it, a caller above it to zoom out.{' '}
        {focus.length > 0 && node !== undefined ? (
          <>
            {node.name}: {node.total} of {props.samples} samples ({share.toFixed(1)} %).{' '}
            <button type="button" onClick={() => setFocus([])}>
              Reset zoom
            </button>
          </>
        ) : null}
      </p>
      <FlameGraph
        root={props.root}
        focus={focus}
        onSelect={setFocus}
        label="Flame graph (zoomable)"
        {...(props.diff === undefined ? {} : { diff: props.diff })}
      />
    </div>
  )
}
