import { createHash } from 'node:crypto'

/** Hex SHA-256 of a string or bytes, optionally shortened to `chars` characters. */
export function sha256Hex(data: string | Uint8Array, chars?: number): string {
  const hex = createHash('sha256').update(data).digest('hex')
  return chars === undefined ? hex : hex.slice(0, chars)
}
