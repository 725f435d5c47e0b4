import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LangperfError } from '../lib/index.ts'

// The browser assets Vite builds from src/web/client/ (scripts/build-web.mjs, run by `npm ci`
// through the `prepare` script): the islands' bundle and the stylesheet. The server and the
// report read them from dist/web/ and refuse to start without them, naming the command.

/** Where `npm run build:web` writes the assets. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url))

/** The files every page links to. */
export const REQUIRED_ASSETS = ['islands.js', 'islands.css'] as const

/** One built file with its content type. */
export interface Asset {
  readonly name: string
  readonly bytes: Buffer
  readonly contentType: string
}

/** The built assets and a short hash of them, for cache-busting URLs. */
export interface Assets {
  readonly dir: string
  readonly files: ReadonlyMap<string, Asset>
  readonly version: string
}

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

/** Reads the built assets; throws `unavailable` naming the build command when they are missing. */
export function loadAssets(dir: string = DEFAULT_ASSETS_DIR): Assets {
  const missing = REQUIRED_ASSETS.filter((name) => !existsSync(join(dir, name)))
  if (missing.length > 0) {
    throw new LangperfError(
      'unavailable',
      `Cannot serve the dashboard: expected its browser assets ${missing.join(', ')} in "${dir}", found none (build them with \`npm run build:web\`; \`npm ci\` does it too)`,
    )
  }
  const files = new Map<string, Asset>()
  const hash = createHash('sha256')
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[extname(name)]
    if (type === undefined) continue
    const bytes = readFileSync(join(dir, name))
    hash.update(name).update(bytes)
    files.set(name, { name, bytes, contentType: type })
  }
  return { dir, files, version: hash.digest('hex').slice(0, 12) }
}
