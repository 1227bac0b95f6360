#!/bin/bash
# Host instructions executed inside uc_emu_start for the raw, counting-hook and accounted runs of
# `micronas bench emulator` on each board: a figure machine noise cannot move (make bench-emulator
# gives the wall-clock one). Needs valgrind (apt-get install valgrind); valgrind cannot read the Swift
# debug info, so a stripped copy of the release binary is profiled.
#   scripts/emulator-instructions.sh [micronas-binary]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/release/micronas}
command -v valgrind >/dev/null || { echo "error: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
[ -x "$bin" ] || { echo "error: $bin not built (make release)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/micronas" && strip -g "$work/micronas"
for board in nucleo-l552ze-q nucleo-f446re portenta-h7; do
  elf=$("$bin" build --target $board "$root/bench/emulator/dotloop.c")
  mkdir -p "$work/$board"
  (cd "$work/$board" && MICRONAS_TARGETS=$root/targets valgrind --tool=callgrind --smc-check=all-non-file \
     --toggle-collect=uc_emu_start --dump-after=uc_emu_start "$work/micronas" bench emulator --repeats 1 \
     --target $board "$elf" > log 2>&1) || { echo "error: valgrind run failed, see $work/$board/log" >&2; exit 1; }
  counts=$(for i in 1 2 3; do awk '/^summary:/ {print $2}' "$work/$board"/callgrind.out.*.$i; done | tr '\n' ' ')
  echo "$board $counts" | awk '{printf "%-16s raw %.3fG  counting hook %.3fG  accounted %.3fG  raw/accounted %.2f\n", $1, $2/1e9, $3/1e9, $4/1e9, $2/$4}'
done
