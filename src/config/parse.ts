import { parse as parseToml, TomlError } from 'smol-toml'
import { LangperfError, quote } from '../lib/index.ts'
import type { LangperfConfig } from '../model/index.ts'
import { crossCheck } from './check.ts'
import { configError, issueProblem } from './errors.ts'
import { resolveConfig } from './resolve.ts'
import { type RawConfig, rootSchema } from './schema.ts'

// Reading `langperf.toml`: TOML syntax, then the schema key by key, then the checks across keys,
// then the typed result. Pure: `parseConfig(text, fileName)` reads no disk and no environment;
// the caller reads the file.

/**
 * Parses and validates a `langperf.toml`; `fileName` names it in errors and anchors relative
 * paths. Throws `bad-input` listing every problem, so one attempt shows everything to fix.
 * @example parseConfig(readFileSync('langperf.toml', 'utf8'), 'langperf.toml')
 */
export function parseConfig(text: string, fileName: string): LangperfConfig {
  const raw = parseTomlText(text, fileName)
  const parsed = rootSchema.safeParse(raw)
  const problems = parsed.success
    ? crossCheck(parsed.data)
    : parsed.error.issues.map((issue) => issueProblem(issue, raw))
  if (problems.length > 0) throw configError(problems, raw, fileName)
  return resolveConfig(parsed.data as RawConfig, fileName)
}

/** The TOML document `text`; a syntax error is `bad-input` naming its line and column. */
function parseTomlText(text: string, fileName: string): unknown {
  try {
    return parseToml(text)
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '')
      throw new LangperfError(
        'bad-input',
        `Cannot parse configuration ${quote(fileName, 200)}: TOML syntax error at line ${error.line}, column ${error.column}: ${reason}`,
        { cause: error },
      )
    }
    throw error
  }
}
