import 'uplot/dist/uPlot.min.css'
import './style.css'
import { render } from 'preact'
import type { IslandName, IslandProps } from '../islands.ts'
import { CompareIsland } from './compare.tsx'
import { FlameIsland } from './flame.tsx'
import { MatrixIsland } from './matrix.tsx'
import { TimelineIsland } from './timeline.tsx'
import { TriageIsland } from './triage.tsx'
import { WorkloadsIsland } from './workloads.tsx'

// The browser entry: finds every island placeholder the server rendered, reads its JSON data and
// mounts its component in place of the no-JavaScript fallback. One classic script (not a module),
// so the static report works from file:// too.

const ISLANDS: { readonly [N in IslandName]: (props: IslandProps[N]) => preact.JSX.Element } = {
  compare: CompareIsland,
  timeline: TimelineIsland,
  matrix: MatrixIsland,
  triage: TriageIsland,
  workloads: WorkloadsIsland,
  flame: FlameIsland,
}

function mount(el: HTMLElement): void {
  const name = el.dataset.island as IslandName | undefined
  const dataId = el.dataset.props
  if (name === undefined || dataId === undefined || !(name in ISLANDS)) return
  const script = document.getElementById(dataId)
  if (script === null) return
  const props = JSON.parse(script.textContent ?? 'null') as IslandProps[typeof name]
  const Component = ISLANDS[name] as (p: typeof props) => preact.JSX.Element
  el.textContent = ''
  render(<Component {...props} />, el)
  el.dataset.mounted = '1'
}

function start(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-island]')) {
    try {
      mount(el)
    } catch (error) {
      // One broken island must not take the others (or the page's tables) down.
      console.error(`langperf: cannot mount island ${el.dataset.island ?? '?'}`, error)
    }
  }
  document.documentElement.dataset.islands = 'ready'
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
