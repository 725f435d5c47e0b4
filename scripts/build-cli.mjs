#!/usr/bin/env node
// Compiles the command line with esbuild: src/cli/main.ts and what it imports into dist/cli/
// (ES modules; code that only some commands need goes into chunks loaded when they run), so that
// `langperf` starts without transpiling TypeScript. Packages stay in node_modules (imported, not
// copied), except the few of BUNDLED. Runs on `npm ci` through the `prepare` script; `npm run
// build:cli` by hand.
//
// Last it writes dist/cli/inputs.json: every file the build read (a bundled package by its
// package.json) and BUILD_FILES, each with its mtime and size.
// bin/langperf.mjs runs dist/cli only while each of those files is unchanged, else the sources
// through tsx (a missing or half-written build has no inputs.json). Reading files relative to
// `import.meta.url` keeps working: in each source file it becomes that file's URL, relative to
// the compiled output, so src/runner finds harness/ and workloads/, src/web finds dist/web.
import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outDir = fileURLToPath(new URL('../dist/cli/', import.meta.url))
/** Files whose change makes the build stale besides its inputs: this script, and what esbuild reads of the package. */
const BUILD_FILES = ['scripts/build-cli.mjs', 'package.json', 'tsconfig.json']
/**
 * Packages copied into the build: pure JavaScript spread over hundreds of small modules, whose
 * loading dominated `langperf show` (kysely, zod) or that are CommonJS on the way (jstat).
 * Every other package is imported from node_modules (native ones must be).
 */
const BUNDLED = new Set(['kysely', 'zod', 'jstat'])

/** The package a bare import names (`zod/v4` → zod, `@fastify/error` → @fastify/error), or null. */
function packageOf(spec) {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return null
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Leaves packages outside the build except BUNDLED (and what they import). */
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const pkg = packageOf(args.path)
      if (pkg === null || BUNDLED.has(pkg) || args.importer.includes(`${sep}node_modules${sep}`))
        return undefined
      return { path: args.path, external: true }
    })
  },
}

/** The source file's URL as seen from a file of outDir (every chunk sits directly in it). */
function sourceUrlExpression(path) {
  const rel = relative(outDir, path).split(sep).join('/')
  return `new URL(${JSON.stringify(rel)}, import.meta.url).href`
}

/** Replaces `import.meta.url` in each source file with that file's own URL (see the header). */
const sourceUrls = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined
      const text = await readFile(args.path, 'utf8')
      return {
        contents: text.replaceAll('import.meta.url', sourceUrlExpression(args.path)),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      }
    })
  },
}

/**
 * Marks the project's own modules free of import side effects (none has any: they declare), so
 * that a command importing one function from a room's index.ts loads that function's modules,
 * not the whole room: `show` needs analysis' run selector, not the runner and its schemas.
 */
const ownModulesPure = {
  name: 'own-modules-pure',
  setup(b) {
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === 'own-modules-pure' || args.importer.includes(`${sep}node_modules${sep}`))
        return undefined
      const r = await b.resolve(args.path, {
        importer: args.importer,
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: 'own-modules-pure',
      })
      if (r.errors.length > 0) return { errors: r.errors }
      return { ...r, sideEffects: false }
    })
  },
}

/** One build; its inputs with their mtime and size, and whether one changed while it ran. */
async function buildOnce() {
  await rm(outDir, { recursive: true, force: true })
  const started = Date.now()
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: outDir,
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [externals, ownModulesPure, sourceUrls],
  })
  // A bundled package counts as its package.json (a new version rewrites it), not its many files.
  const files = [
    ...new Set([
      ...Object.keys(result.metafile.inputs).map((f) => {
        const m = /^(.*?node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f)
        return m ? `${m[1]}/package.json` : f
      }),
      ...BUILD_FILES,
    ]),
  ].sort()
  const inputs = {}
  let changedDuring = null
  for (const file of files) {
    const s = await stat(join(root, file))
    inputs[file] = [s.mtimeMs, s.size]
    if (s.mtimeMs >= started) changedDuring ??= file
  }
  return { inputs, changedDuring }
}

const t0 = Date.now()
// A file saved while esbuild read the sources may be built in its old state yet recorded in its
// new one: build again (the manifest is written only for a build no input changed during).
for (let attempt = 1; ; attempt++) {
  const { inputs, changedDuring } = await buildOnce()
  if (changedDuring === null) {
    await writeFile(join(outDir, 'inputs.json'), `${JSON.stringify({ version: 1, inputs })}\n`)
    console.error(
      `langperf: built the command line into dist/cli in ${((Date.now() - t0) / 1000).toFixed(1)} s (${Object.keys(inputs).length} inputs)`,
    )
    break
  }
  if (attempt === 3) {
    console.error(
      `langperf: ${changedDuring} kept changing while the command line was built; dist/cli is left without its manifest, so bin/langperf.mjs runs the sources (run \`npm run build:cli\` again)`,
    )
    process.exit(1)
  }
}
