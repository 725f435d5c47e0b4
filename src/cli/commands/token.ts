import { LangperfError, quote } from '../../lib/index.ts'
import { hashTokenSecret, newTokenSecret } from '../../server/index.ts'
import { TOKEN_ROLES, type TokenRole, type TokenRow } from '../../store/index.ts'
import { type CommonOptions, type Ctx, withStore, withStoreCreating } from '../context.ts'
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
