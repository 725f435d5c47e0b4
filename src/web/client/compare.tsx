import { useMemo, useState } from 'preact/hooks'
import { CompareTable } from '../components.tsx'
import type { CompareIslandProps } from '../islands.ts'
import { compareMarkdown } from '../markdown.ts'

// The compare island: filters the rows by workload name and tag as you type (the geometric mean
// shown stays the server's; a tag filter with its own geometric mean is the permalink with
// `tag=`), and exports the shown rows as Markdown for a pull request.

/** The comparison table with its filters and the Markdown export. */
export function CompareIsland(props: CompareIslandProps) {
  const [text, setText] = useState('')
  const [tags, setTags] = useState<readonly string[]>([])
  const [copied, setCopied] = useState<string | null>(null)
  const allTags = useMemo(() => [...new Set(props.rows.flatMap((r) => r.tags))].sort(), [props.rows])
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase()
    return props.rows.filter(
      (r) =>
        (needle === '' || r.workload.toLowerCase().includes(needle)) &&
        (tags.length === 0 || r.tags.some((t) => tags.includes(t))),
    )
  }, [props.rows, text, tags])
  const copy = async () => {
    const md = compareMarkdown(props, rows)
    try {
      await navigator.clipboard.writeText(md)
      setCopied(`Copied ${rows.length} rows as Markdown`)
    } catch {
      // Clipboard refused (no permission, not a secure context): select the text instead.
      setCopied('The browser refused the clipboard: copy the Markdown below')
      const pre = document.querySelector<HTMLElement>('details.markdown')
      if (pre !== null) (pre as HTMLDetailsElement).open = true
    }
  }
  return (
    <div class="compare-island">
      <div class="filters">
        <label>
          workload{' '}
          <input
            type="search"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder="filter"
          />
        </label>
        {props.clientTags && allTags.length > 0 ? (
          <span class="tag-filter">
            {allTags.map((t) => (
              <label key={t} class="chip">
                <input
                  type="checkbox"
                  checked={tags.includes(t)}
                  onChange={(e) =>
                    setTags(e.currentTarget.checked ? [...tags, t] : tags.filter((x) => x !== t))
                  }
                />{' '}
                {t}
              </label>
            ))}
          </span>
        ) : null}
        <button type="button" onClick={copy}>
          Copy Markdown
        </button>
        <span class="small muted" aria-live="polite">
          {rows.length === props.rows.length
            ? `${rows.length} workloads`
            : `${rows.length} of ${props.rows.length} workloads shown`}
          {copied !== null ? ` · ${copied}` : ''}
        </span>
      </div>
      <CompareTable rows={rows} confidence={props.confidence} />
    </div>
  )
}
