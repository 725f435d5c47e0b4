import { useState } from 'preact/hooks'
import type { WorkloadsIslandProps } from '../islands.ts'

// The workloads island: filters the index's workloads as you type (by part of the name, any case)
// and by tag, hiding the other workloads' rows in the server-rendered table. On a server the form
// still submits (Enter): the permalink `?q=&tag=` searches every workload, where the live filter
// only sees the rows the page holds; in a static report it is the only filter.

/** Shows only the workload groups (`tbody[data-workload]`) matching `text` and `tag`; how many are shown. */
function applyFilter(text: string, tag: string): number {
  const needle = text.trim().toLowerCase()
  let shown = 0
  for (const group of document.querySelectorAll<HTMLElement>('tbody[data-workload]')) {
    const name = group.dataset.workload ?? ''
    const tags = (group.dataset.tags ?? '').split(' ')
    const keep = (needle === '' || name.toLowerCase().includes(needle)) && (tag === '' || tags.includes(tag))
    group.hidden = !keep
    if (keep) shown++
  }
  return shown
}

/** The search form, filtering live. */
export function WorkloadsIsland(props: WorkloadsIslandProps) {
  const [text, setText] = useState(props.q)
  const [tag, setTag] = useState(props.tag)
  const [shown, setShown] = useState<number | null>(null)
  const update = (t: string, g: string) => {
    setText(t)
    setTag(g)
    setShown(applyFilter(t, g))
  }
  return (
    <form
      class="picker search-form"
      method="get"
      {...(props.action === null ? {} : { action: props.action })}
      onSubmit={(e) => {
        if (props.action === null) e.preventDefault()
      }}
    >
      <label>
        workload{' '}
        <input
          type="search"
          name="q"
          value={text}
          maxLength={100}
          placeholder="name"
          onInput={(e) => update(e.currentTarget.value, tag)}
        />
      </label>
      {props.tags.length > 0 ? (
        <label>
          tag{' '}
          <select name="tag" onChange={(e) => update(text, e.currentTarget.value)}>
            <option value="">any</option>
            {props.tags.map((t) => (
              <option key={t} value={t} selected={t === tag}>
                {t}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {props.action === null ? null : <button type="submit">Search</button>}
      <span class="small muted" aria-live="polite">
        {shown === null
          ? ''
          : `${shown} of ${props.groups} workloads shown${props.action === null ? '' : '; Enter searches every workload'}`}
      </span>
    </form>
  )
}
