// The data each island receives, embedded in its page as JSON (`<script type="application/json">`)
// and read by the browser bundle (client/). Types only: shared by the server pages that embed the
// data and the islands that read it.

import type { FlameIslandProps } from './flame.tsx'
import type { Verdict } from './format.ts'

/** Both sides' means and a comparison's verdict, ratio, interval, p-value and counts. */
export interface ComparedData {
  readonly baseMean: number | null
  readonly candidateMean: number | null
  readonly verdict: Verdict
  readonly ratio: number | null
  readonly low: number | null
  readonly high: number | null
  readonly pValue: number | null
  /** True for instruction counts: an exact ratio, shown without an interval. */
  readonly exact?: boolean | undefined
  readonly nBase: number
  readonly nCandidate: number
  readonly reason: string | null
}

/** A row of a comparison as the compare island needs it. */
export interface CompareRowData extends ComparedData {
  readonly workload: string
  readonly unit: string
  readonly tags: readonly string[]
  readonly versionsDiffer: boolean
  /** The workload's timeline on the candidate's series, if known. */
  readonly timelineHref: string | null
  /** A server workload's secondary metrics (requests/s, latencies), each compared; empty for most. */
  readonly metrics: readonly MetricRowData[]
}

/** One secondary metric of a compared workload: "faster" reads "better" (higher requests/s, lower latency). */
export interface MetricRowData extends ComparedData {
  readonly name: string
  readonly label: string
  readonly unit: string
  readonly lowerIsBetter: boolean
}

/** The geometric mean of a comparison, or why there is none. */
export type GeometricMeanData =
  | {
      readonly kind: 'interval'
      readonly estimate: number
      readonly low: number
      readonly high: number
      readonly confidence: number
      readonly workloads: number
      /** The API's verdict: the interval excludes 1 and the estimate is at least minEffect from 1. */
      readonly verdict: Exclude<Verdict, 'insufficient'>
    }
  | { readonly kind: 'insufficient'; readonly reason: string }

/** Props of the compare island: rows, the headline and what the Markdown export says. */
export interface CompareIslandProps {
  readonly rows: readonly CompareRowData[]
  readonly geometricMean: GeometricMeanData
  readonly counts: { readonly slower: number; readonly faster: number; readonly same: number }
  readonly confidence: number
  /** Smallest |ratio − 1| called a change (0.01: 1 %). */
  readonly minEffect: number
  readonly baseLabel: string
  readonly candidateLabel: string
  /** Tags filtered on the server (`tag=`), for the Markdown headline. */
  readonly serverTags: readonly string[]
  /** The permalink (absolute on a server, the file in a report). */
  readonly permalink: string
  /** Offer tag filtering in the page (a static report; a server recomputes with `tag=` instead). */
  readonly clientTags: boolean
  /** What the intervals include because the runs were measured separately; null when together. */
  readonly separateRuns: string | null
}

/** One series of a timeline, in columns (one entry per point, commit order). */
export interface TimelineSeriesData {
  readonly label: string
  readonly unit: string
  readonly href: string
  /** Commit dates in seconds since 1970 (UTC); a point without one gets its run's start. */
  readonly x: readonly number[]
  readonly mean: readonly (number | null)[]
  readonly low: readonly (number | null)[]
  readonly high: readonly (number | null)[]
  /** `m` measured, `f` failed, `s` skipped. */
  readonly state: string
  readonly sha: readonly (string | null)[]
  readonly runId: readonly number[]
  readonly version: readonly string[]
  /** Indexes of points that start a new epoch, with the fields that changed. */
  readonly epochs: readonly { readonly index: number; readonly fields: readonly string[] }[]
  /** Detected changes: the first point at the new level. */
  readonly changes: readonly {
    readonly index: number
    readonly direction: 'regression' | 'improvement'
    readonly kind: 'commit' | 'infrastructure'
    readonly ratio: number
    readonly low: number
    readonly high: number
    readonly status: string
    readonly alertHref: string
  }[]
}

/** Props of the timeline island. */
export interface TimelineIslandProps {
  readonly series: readonly TimelineSeriesData[]
  /** Commit URL pattern with `{sha}`, or null: no commit links. */
  readonly commitPattern: string | null
  /** Compare href with `{base}` and `{candidate}` run ids to fill in. */
  readonly compareTemplate: string
  /** Run page href with `{id}`. */
  readonly runTemplate: string
}

/** Props of the matrix island: the baselines to choose from, each with its page. */
export interface MatrixIslandProps {
  readonly options: readonly { readonly value: string; readonly label: string; readonly href: string }[]
  readonly selected: string
}

/** Props of the triage island of one alert. */
export interface TriageIslandProps {
  readonly alertId: number
  readonly triage: string
  readonly note: string | null
  /** ISO UTC: acknowledged, known and expected until then; null for none. */
  readonly until: string | null
  readonly link: string | null
  /** The API's triage URL of this alert. */
  readonly endpoint: string
}

/** Props of the workloads island: the search as the page was asked for, the tags to offer. */
export interface WorkloadsIslandProps {
  readonly q: string
  /** '' for any tag. */
  readonly tag: string
  readonly tags: readonly string[]
  /** Workload groups on the page. */
  readonly groups: number
  /** Where the form submits on a server (`/workloads`); null in a static report (live filter only). */
  readonly action: string | null
}

/** The island names and their props. */
export interface IslandProps {
  readonly compare: CompareIslandProps
  readonly timeline: TimelineIslandProps
  readonly matrix: MatrixIslandProps
  readonly triage: TriageIslandProps
  readonly workloads: WorkloadsIslandProps
  readonly flame: FlameIslandProps
}

/** One of the islands. */
export type IslandName = keyof IslandProps
