import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { LangperfError, quote } from '../../lib/index.ts'
import { hashTokenSecret, newTokenSecret } from '../../server/index.ts'
import { TOKEN_ROLES, type TokenRole, type TokenRow } from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore, withStoreCreating } from '../context.ts'
import { collect, common } from '../options.ts'
import { log, printJson, println, table } from '../output.ts'

// `langperf token create|list|revoke`: API tokens. The secret is printed once, on stdout, and
// only its SHA-256 is stored: a lost secret is replaced (create a new token, revoke the old).

/** Options of `langperf token create`. */
export interface TokenCreateOptions extends CommonOptions {
  readonly role: string
  readonly name: string
  readonly scope?: readonly string[]
}

/** `langperf token create`: prints the new secret on stdout, once. */
export async function tokenCreateCommand(ctx: Ctx, options: TokenCreateOptions): Promise<number> {
  if (!(TOKEN_ROLES as readonly string[]).includes(options.role)) {
    throw new LangperfError(
      'bad-input',
      `Cannot create token: expected --role to be one of ${TOKEN_ROLES.join(', ')}, found ${quote(options.role)}`,
    )
  }
  const secret = newTokenSecret()
  return withStoreCreating(options, async (store) => {
    const token = await store.createToken({
      name: options.name,
      role: options.role as TokenRole,
      scopes: options.scope ?? [],
      hash: hashTokenSecret(secret),
      createdAt: new Date().toISOString(),
    })
    if (options.json) {
      printJson(ctx.io, { token, secret })
    } else {
      println(ctx.io, secret)
      log(
        ctx.io,
        `Created token ${token.id} (${token.role}, ${scopeText(token)}). The secret above is shown only now: store it; send it as "Authorization: Bearer <secret>"`,
      )
    }
    return 0
  })
}

function scopeText(t: TokenRow): string {
  return t.scopes.length === 0 ? 'every machine' : `machines ${t.scopes.join(', ')}`
}

/** `langperf token list`: every token, revoked ones included, never a secret. */
export async function tokenListCommand(ctx: Ctx, options: CommonOptions): Promise<number> {
  return withStore(options, async (store) => {
    const tokens = await store.listTokens()
    if (options.json) {
      printJson(ctx.io, tokens)
      return 0
    }
    if (tokens.length === 0) {
      log(ctx.io, 'No token yet: create one with `langperf token create --role agent --name NAME`')
      return 0
    }
    println(
      ctx.io,
      table(
        ['id', 'name', 'role', 'scope', 'created', 'last used', 'revoked'],
        tokens.map((t) => [
          String(t.id),
          t.name,
          t.role,
          t.scopes.length === 0 ? '(all machines)' : t.scopes.join(','),
          t.createdAt,
          t.lastUsedAt ?? '–',
          t.revokedAt ?? '–',
        ]),
        ['right'],
      ),
    )
    return 0
  })
}

/** `langperf token revoke ID`. */
export async function tokenRevokeCommand(ctx: Ctx, id: number, options: CommonOptions): Promise<number> {
  return withStore(options, async (store) => {
    const token = await store.revokeToken(id, new Date().toISOString())
    if (options.json) printJson(ctx.io, token)
    else log(ctx.io, `Token ${token.id} (${quote(token.name)}) is revoked since ${token.revokedAt}`)
    return 0
  })
}

function tokenId(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a token id (a positive integer), found "${text}"`)
  }
  return n
}

/** Adds `token create|list|revoke` to the program. */
export function addTokenCommands(program: Command, ctx: Ctx, setStatus: (code: number) => void): void {
  const token = program
    .command('token')
    .description('API tokens: an agent token writes results, an admin token also triages and manages tokens')
  const db = common
  db(
    token
      .command('create')
      .description('Create a token and print its secret once (only its SHA-256 is stored)')
      .requiredOption('--role <role>', `agent or admin`)
      .requiredOption('--name <name>', 'who or what uses it, e.g. "ci bench-1"')
      .option('--scope <machine>', 'machine it may write for (repeatable; default: every machine)', collect),
  ).action(async (opts: TokenCreateOptions) => setStatus(await tokenCreateCommand(ctx, opts)))
  db(token.command('list').description('List every token (never a secret)')).action(
    async (opts: CommonOptions) => setStatus(await tokenListCommand(ctx, opts)),
  )
  db(
    token
      .command('revoke')
      .description('Revoke a token: the API refuses it from now on')
      .argument('<id>', 'token id (see `langperf token list`)', tokenId),
  ).action(async (id: number, opts: CommonOptions) => setStatus(await tokenRevokeCommand(ctx, id, opts)))
}
