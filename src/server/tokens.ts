import { randomBytes, timingSafeEqual } from 'node:crypto'
import { sha256Hex } from '../lib/index.ts'

// Token secrets: `lp_` + 32 random bytes in base64url (43 characters), 256 bits of entropy, so
// one SHA-256 (no salt, no slow hash) is enough to store them: a slow hash protects guessable
// passwords, and nobody can guess 256 random bits. The `lp_` prefix lets secret scanners and
// people recognise a langperf token in a log or a diff.

/** The prefix of every token secret. */
export const TOKEN_PREFIX = 'lp_'

const SECRET_RE = /^lp_[A-Za-z0-9_-]{43}$/

/** A new token secret: `lp_` + 32 random bytes, base64url. Shown once; only its hash is stored. */
export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
}

/** True when `text` has the shape of a token secret (checked before any database lookup). */
export function looksLikeTokenSecret(text: string): boolean {
  return SECRET_RE.test(text)
}

/** SHA-256 of a secret, 64 lower-case hex characters: what the store keeps. */
export function hashTokenSecret(secret: string): string {
  return sha256Hex(secret)
}

/** Compares two hex hashes in constant time (for equal lengths; different lengths are unequal). */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}
