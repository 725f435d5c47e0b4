import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { createEmailTransport, type EmailSettings } from './email.ts'
import { alertMessageFrom } from './message.ts'
import { HOSTILE_WORKLOAD, TEST_LINKS, testAlert } from './testing.ts'

// Each test starts a real SMTP server (smtp-server, by nodemailer's authors) on 127.0.0.1 and
// reads what arrived: envelope, headers, and the decoded text and HTML parts.

const message = alertMessageFrom(testAlert(), TEST_LINKS)
const PASSWORD = 'sm7p-pa55word'
const servers: SMTPServer[] = []
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

interface Received {
  readonly from: string
  readonly to: readonly string[]
  readonly raw: string
  readonly secure: boolean
  readonly user: string | undefined
}

/** Starts an SMTP server on a free port; `options` are smtp-server's (auth, TLS, hooks). */
async function smtpReceiver(options: SMTPServerOptions = {}) {
  const received: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...options,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        })
        callback()
      })
    },
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return { port, received }
}

const settings = (port: number, more: Partial<EmailSettings> = {}): EmailSettings => ({
  name: 'team',
  host: '127.0.0.1',
  port,
  security: 'none',
  from: 'langperf@example.org',
  to: ['perf@example.org', 'oncall@example.org'],
  username: null,
  password: null,
  ...more,
})

// --- a small MIME reader, enough for nodemailer's output ------------------------------------

/** Header value by name (unfolded, RFC 2047 words decoded). */
function header(raw: string, name: string): string | undefined {
  const head = (raw.split(/\r\n\r\n/)[0] ?? '').replace(/\r\n[ \t]+/g, ' ')
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line === undefined ? undefined : decodeWords(line.slice(name.length + 1).trim())
}

function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replaceAll('_', ' ')),
    )
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = []
  const text = s.replace(/=\r?\n/g, '')
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(...Buffer.from(text[i] as string, 'utf8'))
  }
  return Buffer.from(bytes).toString('utf8')
}

/** The decoded body of the first part with this content type. */
function part(raw: string, type: string): string | undefined {
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(raw)?.[1]
  const parts = boundary === undefined ? [raw] : raw.split(`--${boundary}`)
  for (const p of parts) {
    const [head = '', ...rest] = p.replace(/^\r\n/, '').split('\r\n\r\n')
    if (!new RegExp(`^content-type:\\s*${type}`, 'im').test(head)) continue
    const body = rest.join('\r\n\r\n')
    const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase()
    if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8')
    if (encoding === 'quoted-printable') return decodeQuotedPrintable(body)
    return body
  }
  return undefined
}

// --- tests -----------------------------------------------------------------------------------

test('the e-mail transport sends a text and HTML message naming the alert, its magnitudes and links', async () => {
  const smtp = await smtpReceiver()
  const result = await createEmailTransport(settings(smtp.port)).send(message)
  assert.equal(result.state, 'delivered')
  assert.match(result.state === 'delivered' ? result.detail : '', /^250 /)
  assert.equal(smtp.received.length, 1)
  const mail = smtp.received[0] as Received
  assert.equal(mail.from, 'langperf@example.org')
  assert.deepEqual(mail.to, ['perf@example.org', 'oncall@example.org'])
  assert.equal(mail.secure, false)
  assert.equal(header(mail.raw, 'Subject'), message.title.replaceAll('@', '@\u200b'))
  assert.equal(header(mail.raw, 'X-Langperf-Alert'), '42')
  assert.equal(header(mail.raw, 'Auto-Submitted'), 'auto-generated')
  assert.match(header(mail.raw, 'Content-Type') ?? '', /^multipart\/alternative/)
  const text = part(mail.raw, 'text/plain') ?? ''
  assert.match(text, /regex_compile +default {2}bench-1 {2}1\.041× \[1\.029, 1\.053\] \+4\.1 % {2}regression/)
  assert.ok(text.includes('Comparison: https://perf.example.org/compare?base=build%3A7&candidate=build%3A9'))
  assert.ok(text.includes('Commits in the range: https://github.com/python/cpython/compare/aaaaaaaaaa'))
  const html = part(mail.raw, 'text/html') ?? ''
  assert.ok(
    html.includes(
      '<td style="padding:2px 8px;border-bottom:1px solid #ddd;text-align:left">1.083× [1.071, 1.095] +8.3 %</td>',
    ),
  )
  assert.ok(html.includes('href="https://perf.example.org/alerts/42"'))
})

test('the e-mail transport escapes a hostile workload name in the HTML part', async () => {
  const smtp = await smtpReceiver()
  await createEmailTransport(settings(smtp.port)).send(message)
  const html = part(smtp.received[0]?.raw ?? '', 'text/html') ?? ''
  assert.ok(HOSTILE_WORKLOAD.startsWith('<img src=x onerror=alert(1)>'))
  assert.ok(!html.includes('<img'), 'no tag from the data reaches the HTML')
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt; @\u200bchannel *bold* | `x`'))
})

test('the e-mail transport logs in with the configured user and never reveals the password', async () => {
  const smtp = await smtpReceiver({
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'langperf' && auth.password === PASSWORD) callback(null, { user: 'langperf' })
      else callback(new Error(`Invalid username or password ${auth.password ?? ''}`))
    },
  })
  const ok = await createEmailTransport(
    settings(smtp.port, { username: 'langperf', password: PASSWORD }),
  ).send(message)
  assert.equal(ok.state, 'delivered')
  assert.equal(smtp.received[0]?.user, 'langperf')
  const refused = await createEmailTransport(
    settings(smtp.port, { username: 'langperf', password: `${PASSWORD}x` }),
  ).send(message)
  assert.equal(refused.state, 'failed')
  const reason = refused.state === 'failed' ? refused.reason : ''
  assert.match(reason, /^Cannot mail alert 42 through 127\.0\.0\.1:\d+: Invalid login: 535 /)
  assert.ok(!reason.includes(PASSWORD), 'the password is redacted from the reason')
  assert.equal(refused.state === 'failed' && refused.retryable, false)
})

test('the e-mail transport refuses to send a password unencrypted to another machine', async () => {
  const result = await createEmailTransport(
    settings(25, { host: 'smtp.example.org', username: 'u', password: PASSWORD }),
  ).send(message)
  assert.equal(result.state, 'failed')
  assert.equal(result.attempts, 0)
  assert.match(
    result.state === 'failed' ? result.reason : '',
    /without encryption: expected smtp_security = "starttls" or "tls"/,
  )
})

test('the e-mail transport upgrades with STARTTLS and fails when the server cannot', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'langperf-smtp-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
  } catch {
    t.skip('openssl is not available to make a test certificate')
    return
  }
  const cert = readFileSync(join(dir, 'cert.pem'))
  const smtp = await smtpReceiver({ disabledCommands: [], key: readFileSync(join(dir, 'key.pem')), cert })
  const result = await createEmailTransport(
    settings(smtp.port, { host: 'localhost', security: 'starttls' }),
    {
      tls: { ca: cert },
    },
  ).send(message)
  assert.equal(result.state, 'delivered')
  assert.equal(smtp.received[0]?.secure, true, 'the session was upgraded before the message was sent')

  const plain = await smtpReceiver()
  const refused = await createEmailTransport(settings(plain.port, { security: 'starttls' })).send(message)
  assert.equal(refused.state, 'failed')
  assert.equal(plain.received.length, 0, 'nothing is sent in the clear')
})

test('the e-mail transport reports a refused recipient as final and a busy server as retryable', async () => {
  const refusing = await smtpReceiver({
    onRcptTo(_address, _session, callback) {
      callback(Object.assign(new Error('No such user'), { responseCode: 550 }))
    },
  })
  const refused = await createEmailTransport(settings(refusing.port)).send(message)
  assert.equal(refused.state, 'failed')
  assert.equal(refused.state === 'failed' && refused.retryable, false)
  const busy = await smtpReceiver({
    onMailFrom(_address, _session, callback) {
      callback(Object.assign(new Error('Try again later'), { responseCode: 451 }))
    },
  })
  const later = await createEmailTransport(settings(busy.port)).send(message)
  assert.equal(later.state, 'failed')
  assert.match(later.state === 'failed' ? later.reason : '', /451 Try again later/)
  assert.equal(later.state === 'failed' && later.retryable, true)
})

test('the e-mail transport fails with a retryable reason when the SMTP server is down', async () => {
  const smtp = await smtpReceiver()
  const { port } = smtp
  await new Promise<void>((resolve) => (servers.pop() as SMTPServer).close(() => resolve()))
  const result = await createEmailTransport(settings(port), { timeoutMs: 2000 }).send(message)
  assert.equal(result.state, 'failed')
  assert.match(
    result.state === 'failed' ? result.reason : '',
    /^Cannot mail alert 42 through 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
  )
  assert.equal(result.state === 'failed' && result.retryable, true)
})
