import { parseConfig } from '../config/index.ts'
import type { LangperfConfig } from '../model/index.ts'

// Test support of the farm nightly's and the farm bisection's tests (not used by the product).

/**
 * A configuration with one runtime, `toy`, a generic recipe (never built: these tests' queues run
 * no agent) cloned from `origin`, its build cache in `root`, and `extra` sections.
 */
export function toyRecipeConfig(origin: string, root: string, extra = ''): LangperfConfig {
  return parseConfig(
    `[[runtimes]]
name = "toy"
family = "generic"
remote = "${origin}"
branches = ["main"]

[runtimes.configs.default]
build = ["make"]
install = ["make install"]
executable = "bin/toy"

[build]
cache_dir = "${root}/cache"
${extra}`,
    `${root}/langperf.toml`,
  )
}
