/**
 * The build room: cached git mirrors, a worktree per commit, recipes (CPython's configure/make
 * and generic commands from the configuration) and an artifact cache keyed by (commit, config
 * hash) with size-bounded eviction. Failed builds are cached with their logs.
 */
export {
  ARTIFACT_STATUSES,
  type Artifact,
  type ArtifactManifest,
  type ArtifactStatus,
  artifactKey,
  type BuildEvent,
  type BuildRequest,
  configHash,
  diskSizeBytes,
  type EnsureBuiltOptions,
  ensureBuilt,
  evictArtifacts,
  findArtifact,
  listArtifacts,
  MANIFEST_VERSION,
  RECIPE_VERSION,
  useArtifact,
} from './cache.ts'
export {
  addWorktree,
  type CommitInfo,
  commitsBetween,
  ensureMirror,
  GitError,
  type GitOptions,
  isAncestor,
  listCommits,
  type Mirror,
  midpointCommit,
  midpointOf,
  mirrorDirName,
  parseLog,
  removeWorktree,
  resolveCommit,
  runGit,
  type Worktree,
  withWorktree,
} from './git.ts'
export {
  cpythonPlan,
  findExecutable,
  genericPlan,
  type PlannedStep,
  planRecipe,
  type RecipeContext,
  type RecipeEvent,
  type RecipeOutcome,
  type RecipePlan,
  type RunRecipeOptions,
  runRecipe,
  type StepRecord,
  unsupportedConfigureOptions,
} from './recipes.ts'
