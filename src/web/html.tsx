import type { ComponentChildren, VNode } from 'preact'
import { renderToString } from 'preact-render-to-string'
import type { IslandName, IslandProps } from './islands.ts'
import type { Links } from './links.ts'

// The page shell (head, navigation, footer), island placeholders and the final HTML text.
// Every string from data reaches the HTML through Preact, which escapes text and attribute
// values; the one raw insertion is island data, JSON made inert in a script element (below).

/** Where a page sits in the navigation. */
export type Section =
  | 'overview'
  | 'workloads'
  | 'matrix'
  | 'alerts'
  | 'compare'
  | 'timeline'
  | 'run'
  | 'profile'
  | 'machine'
  | 'agents'
  | 'releases'
  | 'error'

/** What every page is rendered with. */
export interface PageShell {
  readonly title: string
  readonly section: Section
  readonly links: Links
  /** langperf's version, in the footer. */
  readonly version: string
  /** When a static report was generated (ISO); absent on a server. */
  readonly generatedAt?: string
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` as \u escapes (so
 * no `</script>` or `<!--` can close or confuse the element) and the line separators U+2028/2029
 * escaped too. JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  // One pass over the text (a long timeline's data is a few hundred KB).
  return JSON.stringify(value).replace(SCRIPT_UNSAFE, (c) => SCRIPT_ESCAPES[c] ?? c)
}

/** What must not appear raw inside a <script> element's JSON, and its JSON escape. */
const SCRIPT_UNSAFE = /[<>&\u2028\u2029]/g
const SCRIPT_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
}

/**
 * An island: server-rendered fallback markup (what readers without JavaScript see) in a
 * placeholder that the browser bundle mounts its component into, with the component's data as
 * JSON beside it.
 */
export function Island<N extends IslandName>(props: {
  readonly name: N
  readonly id: string
  readonly data: IslandProps[N]
  readonly children?: ComponentChildren
  readonly inline?: boolean
}) {
  const Tag = props.inline === true ? 'span' : 'div'
  return (
    <>
      <Tag class={`island island-${props.name}`} data-island={props.name} data-props={`${props.id}-data`}>
        {props.children}
      </Tag>
      <script
        type="application/json"
        id={`${props.id}-data`}
        // Island data is JSON escaped by jsonForScript: no `<` survives, so nothing in it can
        // end the script element; browsers never execute application/json.
        dangerouslySetInnerHTML={{ __html: jsonForScript(props.data) }}
      />
    </>
  )
}

const NAV: readonly {
  readonly section: Section
  readonly label: string
  readonly ref: Parameters<Links['page']>[0]
  /** Only on a server: the page is a form whose answer a static report cannot hold. */
  readonly serverOnly?: boolean
}[] = [
  { section: 'overview', label: 'Overview', ref: { page: 'overview' } },
  { section: 'workloads', label: 'Workloads', ref: { page: 'workloads' } },
  { section: 'compare', label: 'Compare', ref: { page: 'compare-picker' }, serverOnly: true },
  { section: 'matrix', label: 'Matrix', ref: { page: 'matrix', baseline: null, machine: null } },
  { section: 'releases', label: 'Releases', ref: { page: 'releases' } },
  { section: 'alerts', label: 'Alerts', ref: { page: 'alerts' } },
  { section: 'agents', label: 'Agents', ref: { page: 'agents' } },
]

/** The page shell: head, navigation bar, the page's content and the footer. */
export function Layout(props: PageShell & { readonly children: ComponentChildren }) {
  const { links } = props
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · langperf`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={links.asset('islands.css')} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <nav aria-label="Main">
            <a class="brand" href={links.page({ page: 'overview' })}>
              langperf
            </a>
            <ul>
              {NAV.filter((n) => n.serverOnly !== true || links.mode === 'server').map((n) => (
                <li key={n.section}>
                  <a href={links.page(n.ref)} aria-current={n.section === props.section ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        </header>
        <main id="main">{props.children}</main>
        <footer class="bottom">
          <span>langperf {props.version}</span>
          {props.generatedAt !== undefined ? (
            <span>
              {' '}
              · static report generated {props.generatedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}
            </span>
          ) : (
            <span>
              {' '}
              · <a href="/api/v1/openapi.json">API</a>
            </span>
          )}
          <span> · times are per inner loop; ratios are candidate ÷ base, below 1 is faster</span>
        </footer>
        <script src={links.asset('islands.js')} defer />
      </body>
    </html>
  )
}

/** The document's HTML text, with its doctype. */
export function renderDocument(page: VNode): string {
  return `<!doctype html>\n${renderToString(page)}\n`
}
