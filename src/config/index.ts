/**
 * The configuration file, `langperf.toml`: read, validated and resolved into the typed
 * `LangperfConfig` of `model/`. Its types live in `model/`; this room holds the parser (TOML,
 * the zod schema, the checks across keys, the messages, the defaults filled in).
 */
export { definedSuiteError } from './errors.ts'
export { parseConfig } from './parse.ts'
export { cronProblem, parseDurationMs, parseSizeBytes } from './values.ts'
