import type { ComponentChildren } from 'preact'
import type { JsonValue } from '../../lib/index.ts'
import { shortSha } from '../format.ts'
import type { Links } from '../links.ts'

// Small pieces several pages use: commit links, key–value tables, notices.

/** A commit SHA, linked to its forge when a commit URL pattern is configured and the SHA is hex. */
export function CommitLink(props: { readonly links: Links; readonly sha: string | null | undefined }) {
  const href = props.links.commit(props.sha)
  const text = shortSha(props.sha)
  if (href === undefined) return <code class="sha">{text}</code>
  return (
    <a class="sha" href={href} rel="noopener noreferrer external">
      <code>{text}</code>
    </a>
  )
}

/** A JSON value as readable text (strings as they are, the rest as compact JSON). */
export function jsonText(v: JsonValue | undefined): string {
  if (v === undefined) return ''
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

/** A two-column table of facts. */
export function FactTable(props: {
  readonly rows: readonly (readonly [string, ComponentChildren])[]
  readonly label: string
}) {
  return (
    <table class="facts" aria-label={props.label}>
      <tbody>
        {props.rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A message box: what went wrong or what is missing. */
export function Notice(props: {
  readonly kind: 'info' | 'warn' | 'error'
  readonly children: ComponentChildren
}) {
  const symbol = props.kind === 'error' ? '✗' : props.kind === 'warn' ? '⚠' : 'ℹ'
  return (
    <div class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'note'}>
      <span aria-hidden="true">{symbol}</span> {props.children}
    </div>
  )
}
