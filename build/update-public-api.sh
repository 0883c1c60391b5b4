#!/usr/bin/env bash
# Updates the public API files of the packed projects (PublicAPI.Unshipped.txt beside each project file) after public API
# was added, changed or removed: the PublicApiAnalyzers' own code fixes, run by `dotnet format`, add a line for each public
# symbol not declared yet (RS0016) and remove the lines of declared symbols that are gone (RS0017; a symbol declared in
# PublicAPI.Shipped.txt gets a *REMOVED* line in PublicAPI.Unshipped.txt instead). Then it builds the projects to prove
# no RS0016/RS0017 is left, and shows what changed. Review the diff: every line is a public API decision.
#
# Usage: flock /tmp/kakashi-build.lock build/update-public-api.sh [path/to/Project.csproj ...]
#        (no argument: Kakashi.Runtime, Kakashi.Extensions.Logging and Kakashi.Kafka)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

projects=("$@")
if [ ${#projects[@]} -eq 0 ]; then
  projects=(src/Kakashi.Runtime/Kakashi.Runtime.csproj
            src/Kakashi.Extensions.Logging/Kakashi.Extensions.Logging.csproj
            src/Kakashi.Kafka/Kakashi.Kafka.csproj)
fi

# builds the project; prints the RS0016/RS0017 messages left (empty when none), warns about any other build error
check() {
  local log status=0
  log=$(mktemp)
  dotnet build "$1" -c Release -nologo -v:q -clp:NoSummary >"$log" 2>&1 || status=$?
  local remaining
  remaining=$(grep -Eo '(error|warning) RS00(16|17): .*' "$log" | sed -E 's/ \(https:[^)]*\)//; s/ \[[^]]*\]$//' | sort -u || true)
  if [ -z "$remaining" ] && [ "$status" -ne 0 ]; then
    echo "the public API files are up to date, but $1 does not build for another reason:" >&2
    grep -E ': error ' "$log" | sort -u | head -20 >&2
  fi
  rm -f "$log"
  printf '%s' "$remaining"
}

left=""
for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  for f in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    # a new packed project starts with empty files (nullable annotations tracked)
    [ -e "$dir/$f" ] || printf '#nullable enable\n' > "$dir/$f"
  done
  echo "== $project"
  # two passes at most: a fix-all over many documents may leave a few symbols for a second run
  remaining=""
  for pass in 1 2; do
    dotnet format analyzers "$project" --diagnostics RS0016 RS0017 --severity info -v q
    remaining=$(check "$project")
    [ -z "$remaining" ] && break
    # dotnet format does not fix RS0017 in a project without source files: drop such lines by their text
    while IFS= read -r symbol; do
      [ -n "$symbol" ] || continue
      if grep -qxF -- "$symbol" "$dir/PublicAPI.Unshipped.txt"; then
        grep -vxF -- "$symbol" "$dir/PublicAPI.Unshipped.txt" > "$dir/PublicAPI.Unshipped.txt.new" || true
        mv "$dir/PublicAPI.Unshipped.txt.new" "$dir/PublicAPI.Unshipped.txt"
      elif grep -qxF -- "$symbol" "$dir/PublicAPI.Shipped.txt"; then
        echo "*REMOVED*$symbol" >> "$dir/PublicAPI.Unshipped.txt"
      fi
    done < <(printf '%s\n' "$remaining" | sed -nE "s/^.*RS0017: Symbol '(.*)' is part of the declared API.*$/\1/p")
  done
  if [ -n "$remaining" ]; then
    remaining=$(check "$project")
    [ -n "$remaining" ] && left="$left$remaining"$'\n'
  fi
done

git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt' || true
if [ -n "$left" ]; then
  echo "still undeclared or missing (edit the PublicAPI.*.txt files by hand):" >&2
  printf '%s' "$left" >&2
  exit 1
fi
echo "public API files up to date"
