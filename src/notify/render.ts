import type { JsonObject } from '../lib/index.ts'
import type { MachineAlertMessage, NotifyMessage } from './machine-message.ts'
import {
  type AlertMessage,
  type CommitRef,
  formatMagnitude,
  type MessageChange,
  shortSha,
} from './message.ts'

// Renderers: one AlertMessage laid out for each medium. Every piece of stored data (workload,
// runtime, branch, machine, config names, notes) is treated as hostile: escaped for the medium
// it lands in, its control characters removed, and `@` defused so that a name cannot mention
// people (GitHub and Mattermost turn `@name` into a notification). Links are built by this room
// and only http(s) ones are emitted.

/** An e-mail's parts: one-line subject, plain text, and a simple HTML alternative. */
export interface RenderedEmail {
  readonly subject: string
  readonly text: string
  readonly html: string
}

/** Slack limits (docs.slack.dev, "Block Kit" reference): header text 150 chars, section text 3000. */
const SLACK_HEADER_MAX_CHARS = 150
const SLACK_SECTION_MAX_CHARS = 3000

/** Plain text, for terminals, logs and the text part of e-mails. */
export function renderText(m: NotifyMessage): string {
  if (m.kind === 'machine-silent') {
    const lines = [
      line(m.title),
      line(m.summary),
      '',
      `Machine: ${m.links.machine}`,
      `Agents:  ${m.links.agents}`,
    ]
    return `${lines.join('\n')}\n`
  }
  const lines = [line(m.title), line(m.summary), '']
  lines.push(
    ...blameLines(m, (ref) => (ref.url === null ? line(ref.sha) : `${line(ref.sha)} <${ref.url}>`), line),
  )
  if (m.blame.rangeUrl !== null) lines.push(`Commits in the range: ${m.blame.rangeUrl}`)
  lines.push('')
  lines.push('Largest changes (ratio after/before [95 % interval], change; counts exact):')
  const rows = m.changes.map((c) => changeLine(c).map(line))
  const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...rows.map((r) => [...(r[i] ?? '')].length)))
  for (const r of rows) {
    lines.push(
      `  ${r.map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...cell].length))).join('  ')}`,
    )
  }
  if (m.changeCount > m.changes.length) lines.push(`  … and ${m.changeCount - m.changes.length} more`)
  lines.push('')
  lines.push(`Alert:      ${m.links.alert}`)
  lines.push(`Comparison: ${m.links.comparison}`)
  return `${lines.join('\n')}\n`
}

/** GitHub-flavoured Markdown, for issues and commit comments. */
export function renderMarkdown(m: NotifyMessage): string {
  const md = (s: string) => escapeMarkdown(line(s))
  if (m.kind === 'machine-silent') {
    const links = `[Machine ${md(m.machine)}](${safeUrl(m.links.machine)}) · [Agents](${safeUrl(m.links.agents)})`
    return `${[`### ${md(m.title)}`, '', md(m.summary), '', links].join('\n')}\n`
  }
  const link = (ref: CommitRef) =>
    ref.url === null
      ? `\`${codeSafe(shortSha(ref.sha))}\``
      : `[\`${codeSafe(shortSha(ref.sha))}\`](${safeUrl(ref.url)})`
  const out = [`### ${md(m.title)}`, '', md(m.summary), '']
  out.push(...blameLines(m, link, md).map((l) => `${l}  `))
  if (m.blame.rangeUrl !== null) out.push(`[Commits in the range](${safeUrl(m.blame.rangeUrl)})`)
  out.push('')
  out.push('| workload | config | machine | ratio [95 % interval] or count | direction |')
  out.push('|---|---|---|---|---|')
  for (const c of m.changes) out.push(`| ${changeLine(c).map(md).join(' | ')} |`)
  if (m.changeCount > m.changes.length) out.push('', `… and ${m.changeCount - m.changes.length} more.`)
  out.push('')
  out.push(`[Alert ${m.alertId}](${safeUrl(m.links.alert)}) · [Comparison](${safeUrl(m.links.comparison)})`)
  return `${out.join('\n')}\n`
}

/**
 * A Slack incoming-webhook payload: `text` carries the whole message (Slack shows it in
 * notifications; Mattermost, which ignores `blocks`, shows it as the post and translates its
 * `<url|label>` links), `blocks` the laid-out version.
 */
export function renderSlack(m: NotifyMessage): JsonObject {
  const esc = (s: string) => escapeSlack(line(s))
  if (m.kind === 'machine-silent') return renderMachineSlack(m, esc)
  const link = (ref: CommitRef) =>
    ref.url === null ? `\`${esc(shortSha(ref.sha))}\`` : `<${slackUrl(ref.url)}|${esc(shortSha(ref.sha))}>`
  const blame = blameLines(m, link, esc)
  if (m.blame.rangeUrl !== null) blame.push(`<${slackUrl(m.blame.rangeUrl)}|Commits in the range>`)
  const changes = m.changes.map((c) => {
    const [workload, config, machine, magnitude, direction] = changeLine(c).map(esc)
    return `• ${workload} (${config}, ${machine}): ${magnitude} ${direction}`
  })
  if (m.changeCount > m.changes.length) changes.push(`… and ${m.changeCount - m.changes.length} more`)
  const links = `<${slackUrl(m.links.alert)}|Alert ${m.alertId}> · <${slackUrl(m.links.comparison)}|Comparison>`
  const text = [esc(m.title), esc(m.summary), ...blame, ...changes, links].join('\n')
  const section = (body: string): JsonObject => ({
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(body, SLACK_SECTION_MAX_CHARS) },
  })
  return {
    text: truncate(text, SLACK_SECTION_MAX_CHARS),
    blocks: [
      // plain_text is not parsed by Slack, so the title needs no escaping beyond control characters.
      {
        type: 'header',
        text: { type: 'plain_text', text: truncate(line(m.title), SLACK_HEADER_MAX_CHARS) },
      },
      section(`${esc(m.summary)}\n${blame.join('\n')}`),
      section(
        `*Largest changes* (ratio after/before [95 % interval], change; counts exact)\n${changes.join('\n')}`,
      ),
      { type: 'context', elements: [{ type: 'mrkdwn', text: links }] },
    ],
  }
}

/** An e-mail: subject (the title), the text rendering, and an HTML part with every value escaped. */
export function renderEmail(m: NotifyMessage): RenderedEmail {
  const h = (s: string) => escapeHtml(line(s))
  const a = (url: string, label: string) => `<a href="${escapeHtml(safeUrl(url))}">${label}</a>`
  if (m.kind === 'machine-silent') {
    const html = [
      '<!DOCTYPE html>',
      '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">',
      `<h2>${h(m.title)}</h2>`,
      `<p>${h(m.summary)}</p>`,
      `<p>${a(m.links.machine, `Machine ${h(m.machine)}`)} · ${a(m.links.agents, 'Agents')}</p>`,
      '</body></html>',
    ].join('\n')
    return { subject: truncate(line(m.title), 200), text: renderText(m), html: `${html}\n` }
  }
  const ref = (r: CommitRef) =>
    r.url === null ? `<code>${h(shortSha(r.sha))}</code>` : a(r.url, `<code>${h(shortSha(r.sha))}</code>`)
  const blame = blameLines(m, ref, h).map((l) => `<p>${l}</p>`)
  if (m.blame.rangeUrl !== null) blame.push(`<p>${a(m.blame.rangeUrl, 'Commits in the range')}</p>`)
  const cell = 'style="padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"'
  const rows = m.changes.map(
    (c) =>
      `<tr>${changeLine(c)
        .map((v) => `<td ${cell}>${h(v)}</td>`)
        .join('')}</tr>`,
  )
  const more =
    m.changeCount > m.changes.length ? `<p>… and ${m.changeCount - m.changes.length} more.</p>` : ''
  const header = ['workload', 'config', 'machine', 'ratio [95 % interval] or count', 'direction']
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">',
    `<h2>${h(m.title)}</h2>`,
    `<p>${h(m.summary)}</p>`,
    ...blame,
    '<table style="border-collapse:collapse">',
    `<tr>${header.map((x) => `<th ${cell}>${x}</th>`).join('')}</tr>`,
    ...rows,
    '</table>',
    more,
    `<p>${a(m.links.alert, `Alert ${m.alertId}`)} · ${a(m.links.comparison, 'Comparison')}</p>`,
    '</body></html>',
  ]
    .filter((x) => x !== '')
    .join('\n')
  return { subject: truncate(line(m.title), 200), text: renderText(m), html: `${html}\n` }
}

/** The Slack payload of a machine alert: the title, the summary and the links. */
function renderMachineSlack(m: MachineAlertMessage, esc: (s: string) => string): JsonObject {
  const links = `<${slackUrl(m.links.machine)}|Machine ${esc(m.machine)}> · <${slackUrl(m.links.agents)}|Agents>`
  const text = [esc(m.title), esc(m.summary), links].join('\n')
  return {
    text: truncate(text, SLACK_SECTION_MAX_CHARS),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(line(m.title), SLACK_HEADER_MAX_CHARS) } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(esc(m.summary), SLACK_SECTION_MAX_CHARS) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: links }] },
    ],
  }
}

/**
 * The blame lines in any medium: `ref` renders a commit and `esc` free text, each escaped for
 * that medium. Infrastructure alerts say what changed and that no commit is blamed.
 */
function blameLines(m: AlertMessage, ref: (r: CommitRef) => string, esc: (s: string) => string): string[] {
  const out: string[] = []
  if (m.blame.culprit !== null) {
    const note = m.blame.culpritNote ? ` (${esc(m.blame.culpritNote)})` : ''
    out.push(`Culprit: ${ref(m.blame.culprit)}${note}`)
    // Where the time went: the culprit's profile against its parent's, per moved workload.
    for (const p of m.profiles)
      out.push(`Profile against its parent, ${esc(`${p.workload} (${p.machine}): ${p.text}`)}`)
  }
  const range = `after ${ref(m.blame.lastGood)} (last good), up to and including ${ref(m.blame.firstBad)} (first bad)`
  out.push(`${m.kind === 'infrastructure' ? 'Range' : 'Blame'}: ${range}`)
  if (m.boundary !== null) out.push(esc(m.boundary))
  else if (m.kind === 'infrastructure') {
    const what = m.infrastructure.length > 0 ? esc(m.infrastructure.join('; ')) : 'the setup'
    out.push(
      `Not blamed on a commit: ${what} changed in this range; re-run the last good build on the new setup to tell them apart.`,
    )
  }
  for (const c of m.caveats) out.push(`Caveat: ${esc(c)}`)
  for (const e of m.elsewhere) out.push(`On other machines: ${esc(e)}`)
  return out
}

function changeLine(c: MessageChange): [string, string, string, string, string] {
  return [c.workload, c.config, c.machine, formatMagnitude(c), c.direction]
}

/**
 * One line of stored text: control characters (newlines included) and bidirectional overrides
 * (which can make text read differently from what it is) become spaces, `@` is defused.
 */
export function line(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return defuse(s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]+/g, ' '))
}

/** `@name` with a zero-width space after the `@`, so no chat or forge turns it into a mention. */
function defuse(s: string): string {
  return s.replaceAll('@', '@\u200b')
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/**
 * Escapes text for GitHub Markdown: HTML's `<`, `>`, `&` as entities (GitHub renders raw HTML),
 * and the punctuation that starts emphasis, links, code, tables or headings backslash-escaped
 * (CommonMark 0.31, section 2.4: any ASCII punctuation may be escaped).
 */
export function escapeMarkdown(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[\\`*_{}[\]()#|~!]/g, (c) => `\\${c}`)
}

/** Escapes text for Slack mrkdwn: `&`, `<`, `>` are the three characters Slack requires escaped. */
export function escapeSlack(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** Text inside a Markdown code span: a backtick would end it. */
function codeSafe(s: string): string {
  return line(s).replaceAll('`', "'")
}

/** An http(s) URL with the characters that would end a Markdown link or an HTML attribute encoded. */
export function safeUrl(url: string): string {
  if (!/^https?:\/\//i.test(url)) return '#'
  return url.replace(
    /[\s()<>"'`|\\]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  )
}

/** A URL inside Slack's `<url|label>`. */
function slackUrl(url: string): string {
  return safeUrl(url)
}

function truncate(s: string, maxChars: number): string {
  return s.length <= maxChars ? s : `${s.slice(0, maxChars - 1)}…`
}
