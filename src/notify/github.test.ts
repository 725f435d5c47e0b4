import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { alertMarker, createGithubTransport, GITHUB_API_VERSION } from './github.ts'
import { alertMessageFrom } from './message.ts'
import {
  closedPortUrl,
  type HttpReceiver,
  instantSleep,
  type RecordedRequest,
  type Reply,
  startHttpReceiver,
  TEST_LINKS,
  testAlert,
} from './testing.ts'

const TOKEN = 'ghp_testtoken0123456789'
const CULPRIT = 'cccccccccc3333333333cccccccccc3333333333'
const rangeMessage = alertMessageFrom(testAlert(), TEST_LINKS)
const culpritMessage = alertMessageFrom(testAlert({ culpritCommit: CULPRIT }), TEST_LINKS)
const receivers: HttpReceiver[] = []
after(async () => {
  await Promise.all(receivers.map((r) => r.close()))
})

interface Issue {
  readonly number: number
  readonly title: string
  readonly body: string
  readonly html_url: string
  readonly pull_request?: object
}

/**
 * A stand-in for GitHub's REST API over one repository `o/r`: open issues (newest first, paged),
 * and comments on the commits in `commits`. `override` may answer a request first (failures).
 */
async function fakeGithub(
  options: {
    readonly issues?: Issue[]
    readonly commits?: readonly string[]
    readonly override?: (req: RecordedRequest, index: number) => Reply | undefined
  } = {},
) {
  const issues = options.issues ?? []
  const comments = new Map<string, { body: string; html_url: string }[]>()
  const commits = new Set(options.commits ?? [])
  const r = await startHttpReceiver((req, index) => {
    const forced = options.override?.(req, index)
    if (forced !== undefined) return forced
    const url = new URL(req.path, 'http://x')
    const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) })
    if (url.pathname === '/repos/o/r/issues' && req.method === 'GET') {
      const perPage = Number(url.searchParams.get('per_page'))
      const page = Number(url.searchParams.get('page'))
      return json(200, [...issues].reverse().slice((page - 1) * perPage, page * perPage))
    }
    if (url.pathname === '/repos/o/r/issues' && req.method === 'POST') {
      const { title, body } = JSON.parse(req.body) as { title: string; body: string }
      const number = issues.length + 1
      const issue = { number, title, body, html_url: `https://github.com/o/r/issues/${number}` }
      issues.push(issue)
      return json(201, issue)
    }
    const m = /^\/repos\/o\/r\/commits\/([0-9a-f]+)\/comments$/.exec(url.pathname)
    if (m !== null) {
      const sha = m[1] as string
      if (!commits.has(sha)) return json(422, { message: `No commit found for SHA: ${sha}` })
      const list = comments.get(sha) ?? []
      comments.set(sha, list)
      if (req.method === 'GET') return json(200, list)
      const comment = {
        body: (JSON.parse(req.body) as { body: string }).body,
        html_url: `https://github.com/o/r/commit/${sha}#c${list.length + 1}`,
      }
      list.push(comment)
      return json(201, comment)
    }
    return json(404, { message: 'Not Found' })
  })
  receivers.push(r)
  return { ...r, issues, comments }
}

const transport = (apiUrl: string, options: Parameters<typeof createGithubTransport>[1] = {}) =>
  createGithubTransport(
    { name: 'gh', repo: 'o/r', token: TOKEN, apiUrl },
    { sleep: instantSleep().sleep, ...options },
  )

test('the GitHub transport opens an issue with the marker, the magnitudes, the range and the comparison', async () => {
  const gh = await fakeGithub()
  const result = await transport(gh.url).send(rangeMessage)
  assert.deepEqual(result, {
    target: 'gh',
    kind: 'github',
    state: 'delivered',
    attempts: 1,
    detail: 'created issue #1',
    url: 'https://github.com/o/r/issues/1',
  })
  assert.deepEqual(
    gh.requests.map((r) => `${r.method} ${r.path}`),
    [
      'GET /repos/o/r/issues?state=open&sort=created&direction=desc&per_page=100&page=1',
      'POST /repos/o/r/issues',
    ],
  )
  for (const r of gh.requests) {
    assert.equal(r.headers.authorization, `Bearer ${TOKEN}`)
    assert.equal(r.headers.accept, 'application/vnd.github+json')
    assert.equal(r.headers['x-github-api-version'], GITHUB_API_VERSION)
    assert.equal(r.headers['user-agent'], 'langperf')
  }
  const { title, body } = gh.issues[0] as Issue
  assert.equal(title, rangeMessage.title)
  assert.ok(body.startsWith(`${alertMarker(42)}\n### Alert 42: cpython main slower`))
  assert.ok(body.includes('1.083× \\[1.071, 1.095\\] +8.3 %'))
  assert.ok(
    body.includes(
      '[Commits in the range](https://github.com/python/cpython/compare/aaaaaaaaaa1111111111aaaaaaaaaa1111111111...',
    ),
  )
  assert.ok(
    body.includes('[Comparison](https://perf.example.org/compare?base=build%3A7&candidate=build%3A9)'),
  )
  assert.ok(!body.includes('<img'))
})

test('the GitHub transport does not open a second issue for an alert already reported (found on page 2)', async () => {
  const older = (n: number): Issue => ({
    number: n,
    title: 't',
    body: `other ${n}`,
    html_url: `https://github.com/o/r/issues/${n}`,
  })
  const issues = [
    {
      number: 1,
      title: 'old',
      body: `${alertMarker(42)}\nbody`,
      html_url: 'https://github.com/o/r/issues/1',
    },
    ...Array.from({ length: 100 }, (_, i) => older(i + 2)),
  ]
  const gh = await fakeGithub({ issues })
  const result = await transport(gh.url).send(rangeMessage)
  assert.equal(result.state, 'delivered')
  assert.equal(result.state === 'delivered' ? result.detail : '', 'already reported in issue #1')
  assert.deepEqual(
    gh.requests.map((r) => r.method),
    ['GET', 'GET'],
  )
  assert.equal(gh.issues.length, 101)
})

test('the GitHub transport ignores pull requests that carry the marker', async () => {
  const gh = await fakeGithub({
    issues: [{ number: 1, title: 'pr', body: alertMarker(42), html_url: 'u', pull_request: {} }],
  })
  const result = await transport(gh.url).send(rangeMessage)
  assert.equal(result.state === 'delivered' ? result.detail : '', 'created issue #2')
})

test('the GitHub transport comments on the culprit commit, once', async () => {
  const gh = await fakeGithub({ commits: [CULPRIT] })
  const first = await transport(gh.url).send(culpritMessage)
  assert.equal(first.state === 'delivered' ? first.detail : '', 'commented on cccccccccc')
  const again = await transport(gh.url).send(culpritMessage)
  assert.equal(again.state === 'delivered' ? again.detail : '', 'already commented on cccccccccc')
  assert.deepEqual(
    gh.requests.map((r) => `${r.method} ${r.path}`),
    [
      `GET /repos/o/r/commits/${CULPRIT}/comments?per_page=100`,
      `POST /repos/o/r/commits/${CULPRIT}/comments`,
      `GET /repos/o/r/commits/${CULPRIT}/comments?per_page=100`,
    ],
  )
  const posted = JSON.parse(gh.requests[1]?.body ?? '') as { body: string }
  assert.ok(
    posted.body.includes(`Culprit: [\`cccccccccc\`](https://github.com/python/cpython/commit/${CULPRIT})`),
  )
  assert.equal(gh.issues.length, 0)
})

test('the GitHub transport opens an issue when the culprit commit is not in the repository', async () => {
  const gh = await fakeGithub()
  const result = await transport(gh.url).send(culpritMessage)
  assert.equal(result.state === 'delivered' ? result.detail : '', 'created issue #1')
  assert.equal(gh.requests[0]?.path, `/repos/o/r/commits/${CULPRIT}/comments?per_page=100`)
})

test('the GitHub transport retries a 502 on creation without opening a duplicate issue', async () => {
  // The first POST creates the issue but answers 502 (a proxy lost the answer): the retry finds the marker.
  let posts = 0
  const gh = await fakeGithub({
    override: (req) => {
      if (req.method === 'POST' && ++posts === 1) {
        gh.issues.push({
          number: 1,
          title: 't',
          body: (JSON.parse(req.body) as { body: string }).body,
          html_url: 'https://github.com/o/r/issues/1',
        })
        return { status: 502, body: 'Bad Gateway' }
      }
      return undefined
    },
  })
  const result = await transport(gh.url).send(rangeMessage)
  assert.equal(result.state, 'delivered')
  assert.equal(result.attempts, 2)
  assert.equal(result.state === 'delivered' ? result.detail : '', 'already reported in issue #1')
  assert.equal(gh.issues.length, 1)
})

test('the GitHub transport waits for the rate limit reset and then posts', async () => {
  const nowMs = 1_700_000_000_000
  const gh = await fakeGithub({
    override: (_req, index) =>
      index === 0
        ? {
            status: 403,
            headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowMs / 1000 + 30) },
            body: JSON.stringify({ message: 'API rate limit exceeded' }),
          }
        : undefined,
  })
  const clock = instantSleep()
  const result = await transport(gh.url, { sleep: clock.sleep, now: () => nowMs }).send(rangeMessage)
  assert.equal(result.state, 'delivered')
  assert.deepEqual(clock.delaysMs, [30_000])
})

test('the GitHub transport fails without retry on a refused token, with a hint and without the token', async () => {
  const gh = await fakeGithub({
    override: () => ({ status: 401, body: JSON.stringify({ message: `Bad credentials ${TOKEN}` }) }),
  })
  const result = await transport(gh.url).send(rangeMessage)
  assert.equal(gh.requests.length, 1)
  assert.equal(result.state, 'failed')
  const reason = result.state === 'failed' ? result.reason : ''
  assert.equal(
    reason,
    'Cannot post alert 42 to o/r: GET /repos/o/r/issues?state=open&sort=created&direction=desc&per_page=100&page=1 answered HTTP 401: "Bad credentials [redacted]" (the token was refused: check that the environment variable holds a valid token)',
  )
  assert.equal(result.state === 'failed' && result.retryable, false)
})

test('the GitHub transport fails with a reason when the API is down', async () => {
  const result = await transport(await closedPortUrl(), { maxAttempts: 2 }).send(rangeMessage)
  assert.equal(result.state, 'failed')
  assert.match(
    result.state === 'failed' ? result.reason : '',
    /^Cannot post alert 42 to o\/r: GET \/repos\/o\/r\/issues\?.* failed: connection refused/,
  )
  assert.equal(result.attempts, 2)
})
