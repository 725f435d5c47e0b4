#!/usr/bin/env node
// Builds the dashboard's browser assets with Vite: src/web/client/main.tsx (the islands, uPlot,
// the stylesheet) into dist/web/islands.js and dist/web/islands.css. One classic script (IIFE),
// not an ES module, so the static report works from file:// (browsers refuse module scripts
// there). Runs on `npm ci` through the `prepare` script; `npm run build:web` by hand.
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = fileURLToPath(new URL('..', import.meta.url))
const outDir = fileURLToPath(new URL('../dist/web/', import.meta.url))
rmSync(outDir, { recursive: true, force: true })
const t0 = Date.now()
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  publicDir: false,
  // esbuild's JSX with Preact's runtime: no framework plugin needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    minify: true,
    sourcemap: false,
    reportCompressedSize: false,
    cssCodeSplit: false,
    lib: {
      entry: 'src/web/client/main.tsx',
      formats: ['iife'],
      name: 'langperfIslands',
      fileName: () => 'islands.js',
      cssFileName: 'islands',
    },
  },
})
console.error(
  `langperf: built the dashboard's assets into dist/web in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
)
