#!/usr/bin/env bash
# Builds a real CPython tree with langperf's build room and runs a mini nightly over a few of
# its commits. Not run in CI: it needs root (apt), network access to Debian's mirrors, and
# about an hour and a half on 2 cores (the PGO+LTO build alone takes most of it).
# Documented, with figures, in docs/real-cpython.md.
#
# Upstream git is not reachable from these machines, so the tree comes from Debian's source
# package of python3.11: its orig tarball is the upstream Python-3.11.2 release. A git
# repository is made from it (the pristine tree, then three small commits of ours, one of which
# deliberately slows generators down), and that repository is the runtime's remote.
#
# Usage: scripts/real-cpython.sh [stage…]     stages: prepare repo build run report (default: all),
#   and paired (after build: the nightly with reference pairs, docs/real-cpython.md)
# Environment: WORK (default /tmp/langperf-real-cpython) holds everything: sources, the git
# repository, the build cache, the database, logs. Nothing is written inside the checkout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${WORK:-/tmp/langperf-real-cpython}"
APT_DIR="$WORK/apt"
SRC_REPO="$WORK/cpython-src"
CONFIG="$WORK/langperf.toml"
DB="$WORK/langperf.db"
RESULTS="$WORK/results"
SOURCES_FILE=/etc/apt/sources.list.d/langperf-deb-src.sources
# The bookworm (not bookworm-security) source package: the security mirror here answered 404
# for its newer .dsc, and both carry the same upstream 3.11.2 orig tarball.
SOURCE_PACKAGE="python3.11/bookworm"
# What building CPython 3.11 with its usual optional modules needs (a subset of
# `apt-get build-dep python3.11`, which would also pull X11, Tk and test-only packages).
BUILD_DEPS=(build-essential pkg-config dpkg-dev libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev
  libsqlite3-dev libreadline-dev libncursesw5-dev libgdbm-dev uuid-dev libexpat1-dev)

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

stage_prepare() {
  mkdir -p "$WORK" "$APT_DIR"
  if [[ ! -f "$SOURCES_FILE" ]]; then
    # Same URIs, suites and key as the deb entries of /etc/apt/sources.list.d/debian.sources,
    # in a file of our own; the existing files are not touched.
    log "adding deb-src entries in $SOURCES_FILE"
    cat >"$SOURCES_FILE" <<'EOF'
# Added by langperf scripts/real-cpython.sh: Debian source packages, same URIs and suites as
# the binary entries in debian.sources, so `apt-get source python3.11` works.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  log "apt-get update"
  apt-get update -q >"$WORK/apt-update.log" 2>&1
  log "installing build dependencies: ${BUILD_DEPS[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${BUILD_DEPS[@]}" >"$WORK/apt-install.log" 2>&1
  if ! ls "$APT_DIR"/python3.11_*.orig.tar.* >/dev/null 2>&1; then
    log "apt-get source --download-only $SOURCE_PACKAGE"
    (cd "$APT_DIR" && apt-get source -q --download-only "$SOURCE_PACKAGE") >"$WORK/apt-source.log" 2>&1
  fi
  ls -l "$APT_DIR" >&2
}

git_in_repo() {
  git -C "$SRC_REPO" -c user.name='langperf real-cpython' -c user.email='langperf@localhost' "$@"
}

stage_repo() {
  if [[ -d "$SRC_REPO/.git" ]]; then
    log "$SRC_REPO exists; keeping it (delete it to start over)"
    return
  fi
  local tarball
  tarball="$(ls "$APT_DIR"/python3.11_*.orig.tar.*)"
  log "making a git repository from $tarball"
  rm -rf "$WORK/unpack" && mkdir -p "$WORK/unpack"
  # --no-same-owner: files owned by root, so git does not refuse the repository as "dubious ownership".
  tar --no-same-owner -xf "$tarball" -C "$WORK/unpack"
  mv "$WORK/unpack"/Python-3.11.2 "$SRC_REPO"
  rmdir "$WORK/unpack"
  git -C "$SRC_REPO" init -q --initial-branch=main
  # Fixed dates make the commit shas reproducible from the same tarball.
  export GIT_AUTHOR_DATE='2023-02-08T00:00:00Z' GIT_COMMITTER_DATE='2023-02-08T00:00:00Z'
  git_in_repo add -A
  git_in_repo commit -q -m "Python 3.11.2 as released (Debian orig tarball $(basename "$tarball"))"

  export GIT_AUTHOR_DATE='2023-02-09T00:00:00Z' GIT_COMMITTER_DATE='2023-02-09T00:00:00Z'
  printf '\nThis tree was imported by langperf scripts/real-cpython.sh for a build test.\n' >>"$SRC_REPO/README.rst"
  git_in_repo commit -q -am "README: say where this tree comes from (no code change)"

  export GIT_AUTHOR_DATE='2023-02-10T00:00:00Z' GIT_COMMITTER_DATE='2023-02-10T00:00:00Z'
  # The deliberate regression: a spin loop on every generator resume through tp_iternext
  # (FOR_ITER on a generator in 3.11 has no specialisation and always goes through it).
  python3 - "$SRC_REPO/Objects/genobject.c" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
anchor = "gen_iternext(PyGenObject *gen)\n{\n    PyObject *result;\n    assert(PyGen_CheckExact(gen) || PyCoro_CheckExact(gen));\n"
assert text.count(anchor) == 1, "gen_iternext not found as expected"
spin = ("    /* langperf real-cpython demo: a deliberate slowdown to be detected. */\n"
        "    for (volatile int langperf_spin = 0; langperf_spin < 64; langperf_spin++) {\n    }\n")
open(path, "w").write(text.replace(anchor, anchor + spin))
EOF
  git_in_repo commit -q -am "genobject: spin on every generator resume (deliberate slowdown)"

  export GIT_AUTHOR_DATE='2023-02-11T00:00:00Z' GIT_COMMITTER_DATE='2023-02-11T00:00:00Z'
  printf '\nlangperf: one more commit after the slowdown, so the nightly sees it persist.\n' >>"$SRC_REPO/README.rst"
  git_in_repo commit -q -am "README: a second note (no code change)"
  unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
  git_in_repo log --oneline >&2
}

write_config() {
  cat >"$CONFIG" <<EOF
# Written by scripts/real-cpython.sh
[store]
location = "$DB"

[[runtimes]]
name = "cpython"
family = "cpython"
remote = "$SRC_REPO"
branches = ["main"]

[runtimes.configs.default]
[runtimes.configs.pgo-lto]
[runtimes.configs.jit]
[runtimes.configs.freethreading]

[suites]
default = ["quick"]

[build]
cache_dir = "$WORK/cache"
cache_max_size = "20 GiB"
jobs = "auto"
step_timeout = "3h"
EOF
}

build() { # config rev… → JSON lines appended to $RESULTS/builds.jsonl
  local config="$1"
  shift
  (cd "$ROOT" && node --import tsx scripts/build-runtime.ts "$CONFIG" cpython "$config" "$@") \
    2>>"$RESULTS/build-progress.log" | tee -a "$RESULTS/builds.jsonl"
}

stage_build() {
  mkdir -p "$RESULTS"
  write_config
  local commits
  mapfile -t commits < <(git -C "$SRC_REPO" rev-list --first-parent --reverse main)
  log "building ${#commits[@]} commits in default (progress: $RESULTS/build-progress.log)"
  build default "${commits[@]}"
  log "jit and freethreading on the newest commit (3.11 has neither: expect \"unsupported\")"
  build jit main
  build freethreading main
  log "pgo-lto on the pristine commit (long: the profile run is CPython's test suite)"
  build pgo-lto "${commits[0]}"
}

python_of() { # config rev → path of the built python3 (empty when that build did not succeed)
  local sha
  sha="$(git -C "$SRC_REPO" rev-parse "$2")"
  python3 - "$RESULTS/builds.jsonl" "$sha" "$1" <<'EOF'
import json, sys
path, sha, config = sys.argv[1:]
found = ""
for line in open(path):
    b = json.loads(line)
    if b["commit"] == sha and b["config"] == config:
        found = b["executablePath"] or ""
print(found)
EOF
}

langperf() { (cd "$ROOT" && ./bin/langperf.mjs "$@"); }

run_ids() { # a `langperf run --json` output file → its run ids, space-separated
  python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["runIds"])' "$1"
}

stage_run() {
  mkdir -p "$RESULTS"
  local commits pythons=() sha py
  mapfile -t commits < <(git -C "$SRC_REPO" rev-list --first-parent --reverse main)
  : >"$RESULTS/runs.tsv"
  log "mini nightly (1): the quick suite on the default build of each commit, one run per commit, --fast"
  for sha in "${commits[@]}"; do
    py="$(python_of default "$sha")"
    [[ -n "$py" ]] || { log "no default build of $sha"; continue; }
    pythons+=(--python "$py")
    log "run ${sha:0:12} with $py"
    langperf run --python "$py" --suite quick --fast --no-progress --db "$DB" --json >"$RESULTS/run-default-${sha:0:12}.json"
    printf 'separate\t%s\n' "$(run_ids "$RESULTS/run-default-${sha:0:12}.json")" >>"$RESULTS/runs.tsv"
  done
  # Separate runs minutes apart on a shared machine carry its drift; interleaving the commits'
  # builds process by process in one run cancels it (the same A B / B A rule as any comparison).
  log "mini nightly (2): the default builds of all commits interleaved in one run, default preset"
  langperf run "${pythons[@]}" --suite quick --no-progress --db "$DB" --json >"$RESULTS/run-interleaved.json"
  printf 'interleaved\t%s\n' "$(run_ids "$RESULTS/run-interleaved.json")" >>"$RESULTS/runs.tsv"
  log "PGO+LTO against default on the pristine commit, interleaved: --fast, then the default preset"
  local base pgo
  base="$(python_of default "${commits[0]}")"
  pgo="$(python_of pgo-lto "${commits[0]}")"
  langperf run --python "$base" --python "$pgo" --suite quick --fast --no-progress --db "$DB" --json >"$RESULTS/run-pgo-fast.json"
  printf 'pgo-fast\t%s\n' "$(run_ids "$RESULTS/run-pgo-fast.json")" >>"$RESULTS/runs.tsv"
  langperf run --python "$base" --python "$pgo" --suite quick --no-progress --db "$DB" --json >"$RESULTS/run-pgo-default.json"
  printf 'pgo-default\t%s\n' "$(run_ids "$RESULTS/run-pgo-default.json")" >>"$RESULTS/runs.tsv"
  cat "$RESULTS/runs.tsv" >&2
}

stage_report() {
  log "runs stored in $DB"
  langperf show --db "$DB"
  log "build times (s) per config and commit"
  python3 - "$RESULTS/builds.jsonl" <<'EOF'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    b = json.loads(line)
    if not b["cached"]:
        seen[(b["commit"], b["config"])] = b
for (commit, config), b in seen.items():
    steps = " ".join(f'{s["name"]}={s["durationMs"] / 1000:.0f}' for s in b["steps"])
    why = f' ({b["failure"]["reason"]})' if b["failure"] else ""
    print(f'{commit[:12]} {config:14} {b["status"]:12} total={b["buildDurationMs"] / 1000:.0f} {steps}{why}')
EOF
  local kind ids separate=()
  while IFS=$'\t' read -r kind ids; do
    local -a list
    read -r -a list <<<"$ids"
    case "$kind" in
    separate) separate+=("${list[0]}") ;;
    interleaved | pgo-fast | pgo-default)
      for ((i = 1; i < ${#list[@]}; i++)); do
        log "$kind: run ${list[i]} against run ${list[i - 1]}"
        langperf compare "${list[i - 1]}" "${list[i]}" --db "$DB"
      done
      ;;
    esac
  done <"$RESULTS/runs.tsv"
  for ((i = 1; i < ${#separate[@]}; i++)); do
    log "separate runs: run ${separate[i]} against run ${separate[i - 1]} (the commit before)"
    langperf compare "${separate[i - 1]}" "${separate[i]}" --db "$DB"
  done
}

stage_paired() { # the nightly with reference pairs over the default builds (docs/real-cpython.md)
  local dir="$WORK/paired" preset
  mkdir -p "$dir"
  cat >"$dir/langperf.toml" <<EOF
# Written by scripts/real-cpython.sh (stage paired): the default builds, from the build stage's cache.
[store]
location = "$dir/langperf.db"

[[runtimes]]
name = "cpython"
family = "cpython"
remote = "$SRC_REPO"
branches = ["main"]

[runtimes.configs.default]

[suites]
default = ["quick"]

[build]
cache_dir = "$WORK/cache"
cache_max_size = "20 GiB"
step_timeout = "3h"

[bisect]
enabled = false
EOF
  # One machine name per preset keeps the two histories apart in one store.
  for preset in fast default; do
    local -a sampling=()
    if [[ $preset == fast ]]; then sampling=(--fast); fi
    log "paired nightly over the four commits, $preset preset (each commit interleaved with the one before it)"
    langperf nightly --config "$dir/langperf.toml" --backfill 4 --machine "paired-$preset" "${sampling[@]}" \
      --json >"$dir/nightly-$preset.json" 2>"$dir/nightly-$preset.log"
    (cd "$ROOT" && node --import tsx bench/paired-real.ts "$dir/nightly-$preset.json" "$dir/langperf.db")
  done
}

stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(prepare repo build run report)
for s in "${stages[@]}"; do
  case "$s" in
  prepare | repo | build | run | report | paired) "stage_$s" ;;
  *)
    echo "Unknown stage \"$s\": expected prepare, repo, build, run, report or paired" >&2
    exit 2
    ;;
  esac
done
