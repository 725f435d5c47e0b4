import {
  differentialSummary,
  flameTree,
  profileDifferential,
  profileView,
  stacksText,
} from '../analysis/index.ts'
import { LangperfError, Memo } from '../lib/index.ts'
import { differentialHeadline } from '../model/index.ts'
import type { ProfileWithStacks, Store } from '../store/index.ts'
import type { Handlers } from './handlers.ts'

// The profiles' routes (docs/profiles.md, "Views"): a profile with its top functions, its flame
// graph's tree and its raw collapsed stacks, and an alert's culprit-against-parent differentials.
// Every view is computed from the stored stacks when asked; a stored profile never changes, so
// what is computed from one is kept in a bounded memory by its id.

type ProfileRoute =
  | 'listProfiles'
  | 'getProfile'
  | 'getProfileFlame'
  | 'getProfileStacks'
  | 'getAlertProfiles'

/** Kept views of profiles: a few hundred trees and tables. */
const MEMO_ENTRIES = 500

/** The handlers of the profiles' routes over `store`. */
export function profileHandlers(store: Store): Pick<Handlers, ProfileRoute> {
  const memo = new Memo(MEMO_ENTRIES)
  const mustGet = async (id: number, action: string): Promise<ProfileWithStacks> => {
    const p = await store.getProfile(id)
    if (p === undefined)
      throw new LangperfError('not-found', `Cannot ${action} ${id}: no profile has that id`)
    return p
  }
  const withStacks = async (
    id: number,
    action: string,
  ): Promise<ProfileWithStacks & { stacksGzip: Uint8Array }> => {
    const p = await mustGet(id, action)
    if (p.stacksGzip === null)
      throw new LangperfError(
        'not-found',
        `Cannot ${action} ${id}: it has no stacks (${p.state}: ${p.message ?? 'not profiled'})`,
      )
    return { ...p, stacksGzip: p.stacksGzip }
  }
  return {
    listProfiles: async ({ query }) => {
      const { rows, total } = await store.listProfiles({
        limit: query.limit,
        offset: query.offset,
        ...(query.machine === undefined ? {} : { machine: query.machine }),
        ...(query.workload === undefined ? {} : { workload: query.workload }),
        ...(query.build === undefined ? {} : { buildId: query.build }),
        ...(query.group === undefined ? {} : { groupId: query.group }),
        ...(query.state === undefined ? {} : { state: query.state }),
      })
      return { items: rows, total, limit: query.limit, offset: query.offset }
    },
    getProfile: async ({ params, query }) => {
      const p = await mustGet(params.id, 'get profile')
      const { stacksGzip: _, ...row } = p
      const view = await memo.get(`view:${p.id}:${query.whole}`, async () =>
        profileView(p, { wholeProcess: query.whole }),
      )
      return {
        ...row,
        view:
          view === null
            ? null
            : {
                timedOnly: view.timedOnly,
                processSamples: view.processSamples,
                samples: view.top.samples,
                withoutFrames: view.top.withoutFrames,
                functionCount: view.top.rows.length,
                functions: view.top.rows.slice(0, query.top),
              },
      }
    },
    getProfileFlame: async ({ params, query }) => {
      const action = 'draw the flame graph of profile'
      return memo.get(`flame:${params.id}:${query.whole}`, async () => {
        const p = await withStacks(params.id, action)
        const view = profileView(p, { wholeProcess: query.whole })
        if (view === null)
          throw new LangperfError('internal', `Cannot ${action} ${p.id}: its stacks are unreadable`)
        return {
          profileId: p.id,
          timedOnly: view.timedOnly,
          ...flameTree(view.stacks, { lines: view.lines }),
        }
      })
    },
    getProfileStacks: async ({ params }) =>
      stacksText((await withStacks(params.id, 'get the stacks of profile')).stacksGzip),
    getAlertProfiles: async ({ params, query }) => {
      const alert = await store.getAlert(params.id)
      if (alert === undefined)
        throw new LangperfError(
          'not-found',
          `Cannot get the profiles of alert ${params.id}: no alert has that id`,
        )
      const items = await Promise.all(
        alert.profiles.map(async (pair) => {
          const { parentProfileId: a, culpritProfileId: b } = pair
          const full =
            a === null || b === null
              ? null
              : await memo.get(`diff:${a}:${b}`, async () => {
                  const d = profileDifferential(
                    await mustGet(a, 'read profile'),
                    await mustGet(b, 'read profile'),
                  )
                  return d === null
                    ? null
                    : {
                        summary: differentialSummary(d.diff, {
                          timedOnly: d.timedOnly,
                          rows: d.diff.rows.length,
                        }),
                      }
                })
          const differential =
            full === null
              ? null
              : {
                  ...full.summary,
                  functionCount: full.summary.rows.length,
                  rows: full.summary.rows.slice(0, query.top),
                }
          const shown = differential ?? pair.summary
          return { ...pair, headline: shown === null ? null : differentialHeadline(shown), differential }
        }),
      )
      return { alertId: alert.id, items }
    },
  }
}
