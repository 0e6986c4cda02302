#!/usr/bin/env bash
# Seed each fuzz target's corpus from the repository: the bundled runbooks,
# themes and game days, the test fixtures and the malformed-runbook corpus,
# and small logs and status bodies. The corpora live in fuzz/corpus/ (not
# committed: they grow as the fuzzer runs).
set -euo pipefail
cd "$(dirname "$0")"
root=..
# seed TARGET FILE…: copy the files into the target's corpus under names
# that cannot collide (the base name plus a checksum).
seed() {
  local target=$1
  shift
  mkdir -p "corpus/$target"
  for f in "$@"; do
    [ -f "$f" ] || continue
    cp "$f" "corpus/$target/$(basename "$f" | tr -c 'A-Za-z0-9._-' _)-$(cksum < "$f" | cut -d' ' -f1)"
  done
}
mapfile -t md < <(find "$root/runbooks" "$root/tests/fixtures" "$root/tests/corpus" -name '*.md')
mapfile -t yaml < <(find "$root/runbooks" "$root/tests/fixtures" "$root/tests/corpus" -name '*.y*ml')
mapfile -t themes < <(find "$root/themes" -name '*.yaml')
mapfile -t gamedays < <(find "$root/runbooks" -path '*gamedays*' -name '*.y*ml')
seed runbook_markdown "${md[@]}"
seed runbook_yaml "${yaml[@]}"
seed frontmatter "${md[@]}"
seed template "${md[@]}"
seed theme "${themes[@]}"
seed config "$root/docs/config.example.yaml"
seed rules "$root"/tests/coverage/*
seed gameday "${gamedays[@]}"
seed sanitize "${md[@]}"
# Status bodies (a provider byte, then a body) and incident logs: the
# hand-made seeds in fuzz/seeds/.
for t in status incident_log; do
  mkdir -p "corpus/$t"
  cp seeds/$t/* "corpus/$t/"
done
echo "seeded: $(find corpus -type f | wc -l) files in $(ls corpus | wc -l) corpora"
