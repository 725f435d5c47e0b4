import { formatPercent, formatRatio } from '../lib/format.ts'
import { badInput, type JsonObject, quote } from '../lib/index.ts'
import {
  boundaryNote,
  boundaryOf,
  type ChangeMeasure,
  changeMagnitude,
  type DifferentialSummary,
  differentialHeadline,
} from '../model/index.ts'

// The transport-neutral alert message: everything a person needs to react, already decided
// (which changes, which links), so that each renderer only lays it out. The pipeline builds it
// from store data with `alertMessageFrom`; `notify test` builds a sample by hand.

/** Which way an alert goes: the store's direction of its changes, or `mixed`. */
export const MESSAGE_DIRECTIONS = ['regression', 'improvement', 'mixed'] as const
/** One of MESSAGE_DIRECTIONS. */
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number]

/** A commit with its web link, when the runtime's repository has a known commit page. */
export interface CommitRef {
  readonly sha: string
  readonly url: string | null
}

/** One change of the alert as the message shows it. */
export interface MessageChange {
  readonly workload: string
  readonly config: string
  readonly machine: string
  /** `time` when absent; `instructions`: an instruction-count change, exact (no interval). */
  readonly measure?: ChangeMeasure
  /** Level after / level before (above 1 is slower for time units), with its 95 % interval. */
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
  readonly direction: 'regression' | 'improvement'
}

/** What the alert is blamed on: the commit range (last good, first bad], or the culprit bisection found. */
export interface MessageBlame {
  readonly lastGood: CommitRef
  readonly firstBad: CommitRef
  /** A page listing the commits of the range, when known. */
  readonly rangeUrl: string | null
  /** Bisection's answer, once there is one. */
  readonly culprit: CommitRef | null
  readonly culpritNote: string | null
}

/** One workload profiled at the culprit against its parent, as the message says it. */
export interface MessageProfile {
  readonly workload: string
  readonly machine: string
  /**
   * The differential's headline (`+41.2 points self time in f (a/b.py:3): 0.0 % → 41.2 % [+38.0,
   * +44.4]`), or `not profiled: <reason>`.
   */
  readonly text: string
}

/** A transport-neutral alert notification; every renderer and transport reads only this. */
export interface AlertMessage {
  readonly alertId: number
  /** `commit`: blamed on a commit range; `infrastructure`: the setup changed, never blamed on a commit. */
  readonly kind: 'commit' | 'infrastructure'
  readonly direction: MessageDirection
  /** `provisional` until later builds confirm the change. */
  readonly status: 'provisional' | 'confirmed' | 'withdrawn'
  readonly runtime: string
  readonly branch: string | null
  /** One line, e.g. `Alert 42: cpython main slower, up to +8.3 % (json_dumps)`. */
  readonly title: string
  /** One line with the counts, machines and configs. */
  readonly summary: string
  readonly blame: MessageBlame
  /** For infrastructure alerts: what changed (kernel, CPU settings, harness…); else empty. */
  readonly infrastructure: readonly string[]
  /**
   * The infrastructure change the blame range crosses and how it was judged, in the words the
   * CLI and the dashboard use (model/boundary.ts); null when the range crosses none.
   */
  readonly boundary: string | null
  /** The largest changes first, at most `maxChanges` of them. */
  readonly changes: readonly MessageChange[]
  /** The culprit profiled against its parent, per workload (empty before, or without, a culprit). */
  readonly profiles: readonly MessageProfile[]
  /** What to weigh before acting: runs of the blamed builds measured on a busy CPU (one line each). */
  readonly caveats: readonly string[]
  /** The largest steps read on the other machines measuring them (one line each; analysis' elsewhereLines). */
  readonly elsewhere: readonly string[]
  /** How many changes the alert has in all (those not withdrawn). */
  readonly changeCount: number
  readonly links: {
    /** The alert's page on the portal. */
    readonly alert: string
    /** The portal's comparison of the last good build with the first bad one. */
    readonly comparison: string
  }
}

/**
 * The fields of a stored alert that a message needs; the store's `AlertDetail` has them all
 * (declared here because this room may not import the store).
 */
export interface AlertLike {
  readonly id: number
  readonly runtime: string
  readonly branch: string | null
  readonly kind: 'commit' | 'infrastructure'
  readonly status: 'provisional' | 'confirmed' | 'withdrawn'
  readonly direction: MessageDirection
  readonly lastGoodCommit: string
  readonly firstBadCommit: string
  readonly lastGoodBuildId: number
  readonly firstBadBuildId: number
  readonly culpritCommit: string | null
  readonly culpritNote: string | null
  readonly machines: readonly string[]
  readonly configs: readonly string[]
  readonly changes: readonly ChangeLike[]
  /** The culprit's profiles against its parent (the store's AlertProfileRow has these fields). */
  readonly profiles?: readonly ProfileLike[]
}

/** The fields of a stored pair of profiles at the culprit that a message needs. */
export interface ProfileLike {
  readonly workload: string
  readonly machine: string
  readonly culpritCommit: string
  readonly state: 'profiled' | 'unavailable' | 'failed'
  readonly message: string | null
  readonly summary: DifferentialSummary | null
}

/** The fields of a stored change that a message needs (the store's `ChangeRow` has them). */
export interface ChangeLike {
  /** `commit` or `infrastructure`: how detection judged the step. */
  readonly kind?: string
  /** `time` when absent. */
  readonly measure?: ChangeMeasure
  readonly series: { readonly workload: string; readonly config: string; readonly machine: string }
  readonly ratio: number
  readonly ratioLow: number
  readonly ratioHigh: number
  readonly direction: 'regression' | 'improvement'
  readonly status: 'provisional' | 'confirmed' | 'withdrawn'
  readonly details: Readonly<Record<string, unknown>>
}

/** Options of alertMessageFrom. */
export interface MessageOptions {
  /** The portal's public base URL, e.g. `https://perf.example.org`. */
  readonly portalUrl: string
  /** A commit page with `{sha}` in it, e.g. `https://github.com/python/cpython/commit/{sha}`; null: no links. */
  readonly commitUrl?: string | null
  /** A page of the commits in a range, with `{from}` and `{to}`, e.g. `…/compare/{from}...{to}`. */
  readonly rangeUrl?: string | null
  /** At most this many changes are listed (default 10); the rest are counted. */
  readonly maxChanges?: number
  /** Lines on the evidence to weigh before acting (analysis' alertRunCaveats); none by default. */
  readonly caveats?: readonly string[]
  /** What the other machines saw of the largest steps (analysis' elsewhereLines); none by default. */
  readonly elsewhere?: readonly string[]
}

/** Default number of changes a message lists. */
export const DEFAULT_MAX_CHANGES = 10

const SHA_RE = /^[0-9a-f]{7,64}$/i

/** The portal page of an alert. */
export function alertPageUrl(portalUrl: string, alertId: number): string {
  return `${trimSlash(portalUrl)}/alerts/${alertId}`
}

/** The portal page comparing two builds (the API's `build:ID` run selectors). */
export function comparePageUrl(portalUrl: string, baseBuildId: number, candidateBuildId: number): string {
  const query = new URLSearchParams({ base: `build:${baseBuildId}`, candidate: `build:${candidateBuildId}` })
  return `${trimSlash(portalUrl)}/compare?${query.toString()}`
}

/**
 * Commit and range page patterns for a git remote hosted on GitHub (https or scp-like);
 * null for other hosts, whose URL schemes differ.
 * @example repositoryLinks('https://github.com/python/cpython.git').commitUrl // 'https://github.com/python/cpython/commit/{sha}'
 */
export function repositoryLinks(
  remote: string,
): { readonly commitUrl: string; readonly rangeUrl: string } | null {
  const m =
    /^(?:https:\/\/github\.com\/|git@github\.com:|ssh:\/\/git@github\.com\/)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(
      remote.trim(),
    )
  if (m === null) return null
  const base = `https://github.com/${m[1]}/${m[2]}`
  // GitHub's `A...B` compare lists the commits reachable from B and not from A: exactly (A, B].
  return { commitUrl: `${base}/commit/{sha}`, rangeUrl: `${base}/compare/{from}...{to}` }
}

/**
 * Builds the message for a stored alert: withdrawn changes left out, the largest |log ratio|
 * first, links to the portal, the commits and the range.
 * @example alertMessageFrom(await store.getAlert(42), { portalUrl: 'https://perf.example.org', commitUrl: 'https://github.com/python/cpython/commit/{sha}' })
 */
export function alertMessageFrom(alert: AlertLike, options: MessageOptions): AlertMessage {
  const portalUrl = checkUrl(options.portalUrl, 'portal URL')
  const commitUrl = options.commitUrl ?? null
  const rangeUrl = options.rangeUrl ?? null
  if (commitUrl !== null && !commitUrl.includes('{sha}')) {
    throw badInput(`Cannot use the commit URL pattern ${quote(commitUrl)}: expected "{sha}" in it`)
  }
  if (rangeUrl !== null && !(rangeUrl.includes('{from}') && rangeUrl.includes('{to}'))) {
    throw badInput(`Cannot use the range URL pattern ${quote(rangeUrl)}: expected "{from}" and "{to}" in it`)
  }
  const maxChanges = options.maxChanges ?? DEFAULT_MAX_CHANGES
  if (!Number.isInteger(maxChanges) || maxChanges < 1) {
    throw badInput(`Cannot list ${quote(maxChanges)} changes in a message: expected a positive integer`)
  }
  const ref = (sha: string): CommitRef => ({
    sha,
    url: commitUrl !== null && SHA_RE.test(sha) ? commitUrl.replaceAll('{sha}', sha) : null,
  })
  const live = alert.changes.filter((c) => c.status !== 'withdrawn')
  const sorted = [...live].sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio)))
  const changes = sorted.slice(0, maxChanges).map(
    (c): MessageChange => ({
      workload: c.series.workload,
      config: c.series.config,
      machine: c.series.machine,
      ...(c.measure === 'instructions' ? { measure: c.measure } : {}),
      ratio: c.ratio,
      ratioLow: c.ratioLow,
      ratioHigh: c.ratioHigh,
      direction: c.direction,
    }),
  )
  const infraDetail = live.map((c) => c.details.infrastructure).find(Array.isArray)
  const infrastructure =
    alert.kind === 'infrastructure' && infraDetail !== undefined
      ? infraDetail.filter((x): x is string => typeof x === 'string')
      : []
  const judged = (c: ChangeLike) =>
    boundaryOf({ kind: c.kind ?? alert.kind, details: c.details as JsonObject })
  const crossing = live.find((c) => (c.kind ?? alert.kind) === alert.kind && judged(c) !== null)
  const boundaryFacts = crossing ? judged(crossing) : null
  const boundary = boundaryFacts ? boundaryNote(alert.kind, boundaryFacts) : null
  const bothShas = SHA_RE.test(alert.lastGoodCommit) && SHA_RE.test(alert.firstBadCommit)
  const culprit = alert.culpritCommit === null ? null : ref(alert.culpritCommit)
  const regressions = live.filter((c) => c.direction === 'regression').length
  const facts = {
    alertId: alert.id,
    kind: alert.kind,
    direction: alert.direction,
    status: alert.status,
    runtime: alert.runtime,
    branch: alert.branch,
    changes,
    changeCount: live.length,
  }
  const profiles = (alert.profiles ?? [])
    .filter((p) => p.culpritCommit === alert.culpritCommit)
    .map(
      (p): MessageProfile => ({
        workload: p.workload,
        machine: p.machine,
        text: p.summary !== null ? differentialHeadline(p.summary) : `not profiled: ${p.message ?? p.state}`,
      }),
    )
  return {
    ...facts,
    profiles,
    title: messageTitle(facts),
    summary: messageSummary({
      ...facts,
      regressions,
      improvements: live.length - regressions,
      machines: alert.machines,
      configs: alert.configs,
    }),
    blame: {
      lastGood: ref(alert.lastGoodCommit),
      firstBad: ref(alert.firstBadCommit),
      rangeUrl:
        rangeUrl !== null && bothShas
          ? rangeUrl.replaceAll('{from}', alert.lastGoodCommit).replaceAll('{to}', alert.firstBadCommit)
          : null,
      culprit,
      culpritNote: alert.culpritNote,
    },
    infrastructure,
    boundary,
    caveats: options.caveats ?? [],
    elsewhere: options.elsewhere ?? [],
    links: {
      alert: alertPageUrl(portalUrl, alert.id),
      comparison: comparePageUrl(portalUrl, alert.lastGoodBuildId, alert.firstBadBuildId),
    },
  }
}

/**
 * `Alert 42: cpython main slower, up to +8.3 % (json_dumps)` (`up to instruction count +3.2 %` when
 * the largest change is a count); provisional and infrastructure alerts say so.
 */
export function messageTitle(
  m: Pick<AlertMessage, 'alertId' | 'kind' | 'direction' | 'status' | 'runtime' | 'branch' | 'changes'>,
): string {
  const where = m.branch === null ? m.runtime : `${m.runtime} ${m.branch}`
  const how = m.direction === 'regression' ? 'slower' : m.direction === 'improvement' ? 'faster' : 'changed'
  const what = m.kind === 'infrastructure' ? `infrastructure change: ${where} ${how}` : `${where} ${how}`
  const top = m.changes[0]
  const counted = top?.measure === 'instructions' ? 'instruction count ' : ''
  const largest = top === undefined ? '' : `, up to ${counted}${formatPercent(top.ratio)} (${top.workload})`
  const state = m.status === 'confirmed' ? '' : ` [${m.status}]`
  return `Alert ${m.alertId}: ${what}${largest}${state}`
}

function messageSummary(m: {
  readonly kind: AlertMessage['kind']
  readonly changeCount: number
  readonly regressions: number
  readonly improvements: number
  readonly machines: readonly string[]
  readonly configs: readonly string[]
}): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  const on = m.machines.length > 0 ? ` on ${m.machines.join(', ')}` : ''
  const configs = m.configs.length > 0 ? ` (${m.configs.join(', ')})` : ''
  const blame = m.kind === 'infrastructure' ? '; not blamed on a commit' : ''
  return `${plural(m.changeCount, 'change')}: ${plural(m.regressions, 'regression')}, ${plural(m.improvements, 'improvement')}${on}${configs}${blame}`
}

export { formatPercent, formatRatio }

/**
 * A change's magnitude with its interval, `1.083× [1.071, 1.095] +8.3 %`, or for an
 * instruction-count change `instruction count +3.2 % (exact)`.
 */
export function formatMagnitude(
  c: Pick<MessageChange, 'measure' | 'ratio' | 'ratioLow' | 'ratioHigh'>,
): string {
  return changeMagnitude(c)
}

/** A commit's short form for people: the first 10 hex digits of a SHA, anything else as given. */
export function shortSha(sha: string): string {
  return SHA_RE.test(sha) ? sha.slice(0, 10) : sha
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function checkUrl(url: string, what: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw badInput(`Cannot use the ${what} ${quote(url)}: expected an http(s) URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw badInput(`Cannot use the ${what} ${quote(url)}: expected an http(s) URL`)
  }
  return trimSlash(url)
}
