// Where every page lives, in the two forms of the dashboard: the server's URLs with query
// strings (`/compare?base=1&candidate=2`, a permalink), and the static report's relative file
// names (`compare/1--2.html`), which work from file:// or any static host. Pages build every link
// through a Links object, so one page component serves both; in the static form each link is
// also recorded, which is how the report finds the pages it must write.

/** One series: workload version × runtime × config × branch on one machine. */
export interface SeriesRef {
  readonly machine: string
  readonly runtime: string
  readonly config: string
  /** Null: builds without a branch. */
  readonly branch: string | null
  readonly workload: string
  /** '' when not known: the page picks the version with the most points. */
  readonly workloadVersion: string
}

/** A page of the dashboard, as data: what the report writes and what links point to. */
export type PageRef =
  | { readonly page: 'overview'; readonly baseline?: string | null }
  | {
      readonly page: 'workloads'
      /** Part of a workload name (a server filters on it; the report writes the whole index). */
      readonly q?: string | null
      readonly tag?: string | null
      /** Series skipped before this page of the index (a server's; the report writes one page). */
      readonly offset?: number | null
    }
  | {
      readonly page: 'timeline'
      readonly series: SeriesRef
      readonly also: readonly SeriesRef[]
      /** A secondary metric drawn instead of the value (a server workload's requests/s…). */
      readonly metric?: string
    }
  | {
      readonly page: 'compare'
      readonly base: string
      readonly candidate: string
      /** Only workloads with one of these tags (the server recomputes the geometric mean). */
      readonly tags?: readonly string[]
      /** Smallest change called, in percent; the API's default (1 %) when absent. */
      readonly threshold?: number | null
    }
  | {
      /** The form that picks two builds to compare (a server's; the report has no such page). */
      readonly page: 'compare-picker'
      readonly base?: string | null
      readonly threshold?: number | null
    }
  | {
      readonly page: 'matrix'
      readonly baseline: string | null
      readonly machine: string | null
      /** `stack`: one column per stack each row's recent runs recorded (absent: one per row). */
      readonly split?: 'stack' | null
      /** With the split: the baseline run's stack (its label), whose column is the baseline. */
      readonly stack?: string | null
    }
  | { readonly page: 'alerts'; readonly filters?: AlertFilters }
  | { readonly page: 'alert'; readonly id: number }
  | { readonly page: 'run'; readonly id: number }
  /** One stored profile: its top functions and flame graph. */
  | { readonly page: 'profile'; readonly id: number }
  /** Profile `id` (B) drawn as a differential flame graph against profile `base` (A). */
  | { readonly page: 'profile-diff'; readonly id: number; readonly base: number }
  | { readonly page: 'machine'; readonly name: string }
  /** The farm's agents, one per machine, and the alerts about machines. */
  | { readonly page: 'agents' }
  /** Every pair of consecutive releases measured on some machine. */
  | { readonly page: 'releases' }
  /** One runtime's release `from` against the next release `to`, on every machine and config. */
  | { readonly page: 'release'; readonly runtime: string; readonly from: string; readonly to: string }

/**
 * The alerts list's filters (a server's GET form; the static report writes the unfiltered list).
 * Null or absent: no filter; `acknowledged`: also alerts acknowledged until a time still ahead.
 */
export interface AlertFilters {
  readonly triage?: string | null
  readonly status?: string | null
  readonly kind?: string | null
  readonly machine?: string | null
  readonly config?: string | null
  readonly direction?: string | null
  /** Smallest change, in percent either way. */
  readonly minChange?: number | null
  /** `YYYY-MM-DD`: the first bad build's commit date, inclusive. */
  readonly from?: string | null
  readonly to?: string | null
  readonly acknowledged?: boolean
}

/** The names of the alert filters in the order of their query parameters. */
export const ALERT_FILTER_NAMES = [
  'triage',
  'status',
  'kind',
  'machine',
  'config',
  'direction',
  'minChange',
  'from',
  'to',
  'acknowledged',
] as const

/** The API query naming one series (getSeriesPoints, listChanges), as the series routes take it. */
export function seriesQuery(s: SeriesRef) {
  return {
    machine: s.machine,
    runtime: s.runtime,
    config: s.config,
    ...(s.branch === null ? {} : { branch: s.branch }),
    workload: s.workload,
    version: s.workloadVersion,
  }
}

/** The compact key of a series, for `also=` parameters: its six parts URI-encoded, joined by `,`. */
export function seriesKey(s: SeriesRef): string {
  return [s.machine, s.runtime, s.config, s.branch ?? '', s.workload, s.workloadVersion]
    .map((x) => encodeURIComponent(x))
    .join(',')
}

/** The series of a compact key; undefined when the key is malformed. */
export function parseSeriesKey(key: string): SeriesRef | undefined {
  const parts = key.split(',')
  if (parts.length !== 6) return undefined
  let decoded: string[]
  try {
    decoded = parts.map((p) => decodeURIComponent(p))
  } catch {
    return undefined
  }
  const [machine, runtime, config, branch, workload, workloadVersion] = decoded as [
    string,
    string,
    string,
    string,
    string,
    string,
  ]
  if (machine === '' || runtime === '' || config === '' || workload === '') {
    return undefined
  }
  return { machine, runtime, config, branch: branch === '' ? null : branch, workload, workloadVersion }
}

/** A 32-bit FNV-1a hash as 8 hex digits: short, stable file names for long keys. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

/** A readable, file-system-safe slug of untrusted text (letters, digits, `.`, `_`, `-`). */
export function slug(text: string, maxChars = 60): string {
  const s = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, maxChars)
  return s === '' ? 'x' : s
}

/** The static report's file of a page, relative to the site root. */
export function staticPath(ref: PageRef): string {
  switch (ref.page) {
    case 'overview':
      return ref.baseline === undefined || ref.baseline === null
        ? 'index.html'
        : `index-${slug(ref.baseline, 30)}-${fnv1a(ref.baseline)}.html`
    case 'workloads':
      return 'workloads.html'
    case 'alerts':
      return 'alerts.html'
    case 'alert':
      return `alerts/${ref.id}.html`
    case 'run':
      return `runs/${ref.id}.html`
    case 'profile':
      return `profiles/${ref.id}.html`
    case 'profile-diff':
      return `profiles/${ref.id}-against-${ref.base}.html`
    case 'machine':
      return `machines/${slug(ref.name)}-${fnv1a(ref.name)}.html`
    case 'agents':
      return 'agents.html'
    case 'compare-picker':
      return 'compare.html'
    case 'releases':
      return 'releases.html'
    case 'release': {
      const key = `${ref.runtime}\n${ref.from}\n${ref.to}`
      return `releases/${slug(`${ref.runtime}-${ref.from}--${ref.to}`)}-${fnv1a(key)}.html`
    }
    case 'compare': {
      // Two run ids (what the report links to from timelines) give a name the islands can build.
      const threshold = ref.threshold === undefined || ref.threshold === null ? '' : `-t${ref.threshold}`
      if (/^\d+$/.test(ref.base) && /^\d+$/.test(ref.candidate))
        return `compare/${ref.base}--${ref.candidate}${threshold}.html`
      const key = `${ref.base}\n${ref.candidate}${threshold}`
      return `compare/${slug(ref.base, 30)}--${slug(ref.candidate, 30)}-${fnv1a(key)}.html`
    }
    case 'matrix': {
      const split = ref.split === 'stack'
      const key = `${ref.baseline ?? ''}\n${ref.machine ?? ''}${split ? `\nstack\n${ref.stack ?? ''}` : ''}`
      return ref.baseline === null && ref.machine === null && !split
        ? 'matrix.html'
        : `matrix/${split ? 'stacks-' : ''}${slug(ref.baseline ?? 'default', 30)}-${fnv1a(key)}.html`
    }
    case 'timeline': {
      const s = ref.series
      const key =
        [s, ...ref.also].map(seriesKey).join('\n') + (ref.metric === undefined ? '' : `\n${ref.metric}`)
      return `timeline/${slug(`${s.workload}-${s.runtime}-${s.config}-${s.machine}`)}-${fnv1a(key)}.html`
    }
  }
}

/** The server's URL of a page (absolute path with its query), the dashboard's permalinks. */
export function serverPath(ref: PageRef): string {
  const q = new URLSearchParams()
  switch (ref.page) {
    case 'overview':
      if (ref.baseline !== undefined && ref.baseline !== null) q.set('baseline', ref.baseline)
      return q.size === 0 ? '/' : `/?${q}`
    case 'workloads':
      if (ref.q !== undefined && ref.q !== null) q.set('q', ref.q)
      if (ref.tag !== undefined && ref.tag !== null) q.set('tag', ref.tag)
      if (ref.offset !== undefined && ref.offset !== null && ref.offset > 0)
        q.set('offset', String(ref.offset))
      return q.size === 0 ? '/workloads' : `/workloads?${q}`
    case 'alerts': {
      const f = ref.filters ?? {}
      for (const name of ALERT_FILTER_NAMES) {
        const v = f[name]
        if (v === undefined || v === null || v === false) continue
        q.set(name, v === true ? 'on' : String(v))
      }
      return q.size === 0 ? '/alerts' : `/alerts?${q}`
    }
    case 'alert':
      return `/alerts/${ref.id}`
    case 'run':
      return `/runs/${ref.id}`
    case 'profile':
      return `/profiles/${ref.id}`
    case 'profile-diff':
      return `/profiles/${ref.id}/against/${ref.base}`
    case 'machine':
      return `/machines/${encodeURIComponent(ref.name)}`
    case 'agents':
      return '/agents'
    case 'releases':
      return '/releases'
    case 'release':
      return `/releases/${[ref.runtime, ref.from, ref.to].map((p) => encodeURIComponent(p)).join('/')}`
    case 'compare':
      q.set('base', ref.base)
      q.set('candidate', ref.candidate)
      for (const t of ref.tags ?? []) q.append('tag', t)
      if (ref.threshold !== undefined && ref.threshold !== null) q.set('threshold', String(ref.threshold))
      return `/compare?${q}`
    case 'compare-picker':
      if (ref.base !== undefined && ref.base !== null) q.set('base', ref.base)
      if (ref.threshold !== undefined && ref.threshold !== null) q.set('threshold', String(ref.threshold))
      return q.size === 0 ? '/compare' : `/compare?${q}`
    case 'matrix':
      if (ref.baseline !== null) q.set('baseline', ref.baseline)
      if (ref.machine !== null) q.set('machine', ref.machine)
      if (ref.split === 'stack') {
        q.set('split', 'stack')
        if (ref.stack !== undefined && ref.stack !== null) q.set('stack', ref.stack)
      }
      return q.size === 0 ? '/matrix' : `/matrix?${q}`
    case 'timeline': {
      const s = ref.series
      q.set('machine', s.machine)
      q.set('runtime', s.runtime)
      q.set('config', s.config)
      if (s.branch !== null) q.set('branch', s.branch)
      q.set('workload', s.workload)
      if (s.workloadVersion !== '') q.set('version', s.workloadVersion)
      for (const a of ref.also) q.append('also', seriesKey(a))
      if (ref.metric !== undefined) q.set('metric', ref.metric)
      return `/timeline?${q}`
    }
  }
}

/** How pages link: the server's URLs, or the static report's relative files. */
export interface Links {
  /** `server` or `static`. */
  readonly mode: 'server' | 'static'
  /** The href of a page from the page being rendered. */
  page(ref: PageRef): string
  /** The href of a built asset (`islands.js`). */
  asset(name: string): string
  /** The href of a commit on its forge, or undefined when there is none (no pattern, not a SHA). */
  commit(sha: string | null | undefined): string | undefined
  /** The checked commit URL pattern (with `{sha}`), for islands that build commit links. */
  readonly commitPattern: string | undefined
  /** The href of the comparison of two run ids with `{base}` and `{candidate}` left to fill in. */
  readonly compareTemplate: string
  /** The href of a run page with `{id}` left to fill in. */
  readonly runTemplate: string
}

/** Options shared by both kinds of links. */
export interface LinkOptions {
  /**
   * URL of a commit with `{sha}` where the SHA goes, e.g.
   * `https://github.com/python/cpython/commit/{sha}`; no commit links when absent.
   */
  readonly commitUrl?: string
}

/** A SHA as git writes it: 7 to 64 hex digits (SHA-1 or SHA-256, full or abbreviated). */
const SHA_RE = /^[0-9a-f]{7,64}$/i

/**
 * Checks a commit URL pattern: http(s), with `{sha}`. Undefined when absent; throws a TypeError
 * naming the problem when it is malformed, so a typo does not silently drop every commit link.
 */
export function checkCommitUrl(pattern: string | undefined): string | undefined {
  if (pattern === undefined || pattern === '') return undefined
  if (!/^https?:\/\/[^\s"'<>]+$/.test(pattern) || !pattern.includes('{sha}')) {
    throw new TypeError(
      `Cannot use commit URL ${JSON.stringify(pattern)}: expected an http(s) URL containing {sha}, like https://github.com/python/cpython/commit/{sha}`,
    )
  }
  return pattern
}

/** A commit link from a checked pattern and a SHA; only validated hex SHAs make a link. */
export function commitHref(pattern: string | undefined, sha: string | null | undefined): string | undefined {
  if (pattern === undefined || sha === null || sha === undefined || !SHA_RE.test(sha)) return undefined
  return pattern.replace('{sha}', sha.toLowerCase())
}

/** Links of the server: absolute paths, assets under /assets/ with a version for caching. */
export function serverLinks(options: LinkOptions & { readonly assetVersion?: string } = {}): Links {
  const pattern = checkCommitUrl(options.commitUrl)
  const v = options.assetVersion === undefined ? '' : `?v=${encodeURIComponent(options.assetVersion)}`
  return {
    mode: 'server',
    page: serverPath,
    asset: (name) => `/assets/${encodeURIComponent(name)}${v}`,
    commit: (sha) => commitHref(pattern, sha),
    commitPattern: pattern,
    compareTemplate: '/compare?base={base}&candidate={candidate}',
    runTemplate: '/runs/{id}',
  }
}

/**
 * Links of the static report from the page at `from` (a path relative to the site root): every
 * href is relative, and every page linked to is handed to `record` so that the report writes it.
 */
export function staticLinks(
  from: string,
  options: LinkOptions & { readonly record?: (ref: PageRef) => void } = {},
): Links {
  const pattern = checkCommitUrl(options.commitUrl)
  const up = '../'.repeat(from.split('/').length - 1)
  return {
    mode: 'static',
    page: (ref) => {
      options.record?.(ref)
      return `${up}${staticPath(ref)}`
    },
    asset: (name) => `${up}assets/${name}`,
    commit: (sha) => commitHref(pattern, sha),
    commitPattern: pattern,
    compareTemplate: `${up}compare/{base}--{candidate}.html`,
    runTemplate: `${up}runs/{id}.html`,
  }
}
