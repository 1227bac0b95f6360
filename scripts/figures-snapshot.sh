#!/usr/bin/env bash
# Figures a refactor must not change, written as files to diff between two builds of micronas:
# emulated events, cycles and DWT reads of two programs; per-op profiles of the fixture models;
# lookup-table rows (cycles, MACs, event vectors) and the per-invoke overhead of the UCI-HAR space;
# a short validation; kernels bench. Each build gets its own cache, so nothing is shared.
#   scripts/figures-snapshot.sh BIN OUT [ELF_DIR]
# ELF_DIR: prebuilt hello-<board>.elf and dotloop-<board>.elf (to run the same images under both
# builds); default: built with `BIN build`.
#   scripts/figures-snapshot.sh old/.build/release/micronas /tmp/a; scripts/figures-snapshot.sh .build/release/micronas /tmp/b
#   diff -r /tmp/a /tmp/b --exclude=cache --exclude=lookup.sqlite
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); out=$2; elfs=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
export MICRONAS_CACHE=$out/cache
py=python3
for b in nucleo-l552ze-q nucleo-f446re portenta-h7; do
  for p in hello dotloop; do
    if [ -n "$elfs" ]; then elf=$elfs/$p-$b.elf
    else src=$root/kernels/harness/examples/hello.c; [ $p = dotloop ] && src=$root/bench/emulator/dotloop.c; elf=$("$bin" build --target $b "$src"); fi
    "$bin" emulate --target $b "$elf" --json | tail -1 | $py -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k:d[k] for k in ["instructions","cycles","events","counter_reads","exit_code","stdout"]}, sort_keys=True, indent=1))' > "$out/emulate-$p-$b.json"
  done
  for m in "$root"/Tests/DeployTests/Fixtures/*.tflite; do
    "$bin" profile --target $b "$m" --json 2>/dev/null | $py -c 'import json,sys; d=json.load(sys.stdin); d.pop("model",None); print(json.dumps(d, sort_keys=True, indent=1))' > "$out/profile-$(basename "$m" .tflite)-$b.json"
  done
  "$bin" characterize --emulate $b --table "$out/lookup.sqlite" --json 2>/dev/null | $py -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k:d[k] for k in ["entries","configurations","overhead_cycles","board"]}, sort_keys=True))' > "$out/characterize-$b.json"
  "$bin" characterize validate --emulate $b --table "$out/lookup.sqlite" --architectures 5 --json 2>/dev/null | $py -c 'import json,sys; d=json.load(sys.stdin); d.pop("wall_seconds"); print(json.dumps(d, sort_keys=True, indent=1))' > "$out/validate-$b.json"
  "$bin" kernels bench --target $b --json 2>/dev/null | $py -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, indent=1))' > "$out/kernels-bench-$b.json"
done
# Rows without the kernel-build hash (a hash of sources and paths, not a measurement).
$py - "$out" <<'PY'
import sqlite3, sys
out = sys.argv[1]
db = sqlite3.connect(f"{out}/lookup.sqlite")
with open(f"{out}/table-rows.txt", "w") as f:
    for row in db.execute("SELECT board, cost_hash, config, cycles, macs, events FROM entries ORDER BY board, config"):
        f.write("|".join(str(x) for x in row) + "\n")
with open(f"{out}/table-overheads.txt", "w") as f:
    for row in db.execute("SELECT board, cost_hash, space, cycles FROM overheads ORDER BY board, space"):
        f.write("|".join(str(x) for x in row) + "\n")
print(sum(1 for _ in open(f"{out}/table-rows.txt")), "table rows")
PY
