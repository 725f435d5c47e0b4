import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'

// Running a helper tool (pip, py-spy, venv) to completion: its output and whether it succeeded,
// never an exception, so that a tool that fails becomes a reason recorded as data.

/** Runs a command; never rejects. */
export function exec(
  file: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<{ readonly ok: boolean; readonly stdout: string; readonly stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: options.env, timeout: options.timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const why = error && !stderr.trim() ? error.message : ''
        resolve({ ok: error === null, stdout: String(stdout), stderr: `${String(stderr)}${why}` })
      },
    )
  })
}

/** The last non-empty lines of `text`, for a reason that fits on a line or two. */
export function lastLines(text: string, n = 2): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('WARNING: Running pip as'))
    .slice(-n)
    .join(' / ')
}

/** True when `path` is a file this process may execute. */
export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
