#!/usr/bin/env bash
# A kill -9 during `micronas train --qat` leaves a checkpoint that resumes, and the resumed run ends
# exactly as an uninterrupted one: trains the reference network uninterrupted, then again with the
# process killed (SIGKILL) once epoch KILL_AFTER (default 12, a QAT epoch) has been reported, runs
# the same command again, and compares every epoch's loss and accuracies and the int8 model bytes.
#   scripts/kill-resume.sh [OUTDIR]        (EPOCHS=20 KILL_AFTER=12 SEED=1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.build/release/micronas"
out=${1:-${MICRONAS_CACHE:-$HOME/.cache/micronas}/kill-resume}
epochs=${EPOCHS:-20}; kill_after=${KILL_AFTER:-12}; seed=${SEED:-1}
mkdir -p "$out"
args=(train --graph "$root/examples/reference_har.json" --dataset uci-har --epochs "$epochs" --seed "$seed" --qat --json)
"$bin" "${args[@]}" --checkpoint "$out/whole.ckpt.json" --fresh --model-out "$out/whole.tflite" > "$out/whole.out.json" 2> "$out/whole.log"
rm -f "$out/killed.ckpt.json"
"$bin" "${args[@]}" --checkpoint "$out/killed.ckpt.json" --model-out "$out/killed.tflite" > /dev/null 2> "$out/killed.log" &
pid=$!
pattern=$(printf 'epoch %3d' "$kill_after")
until grep -q "$pattern" "$out/killed.log"; do
  kill -0 $pid 2>/dev/null || { echo "kill-resume: the run ended before epoch $kill_after" >&2; exit 1; }
  sleep 0.2
done
kill -9 $pid; wait $pid 2>/dev/null || true
echo "killed (SIGKILL) after: $(grep "$pattern" "$out/killed.log")"
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print('checkpoint holds epoch', c['epoch'])" "$out/killed.ckpt.json"
"$bin" "${args[@]}" --checkpoint "$out/killed.ckpt.json" --model-out "$out/killed.tflite" > "$out/resumed.json" 2> "$out/resumed.log"
grep resuming "$out/resumed.log"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
a, b = json.load(open(f"{out}/whole.out.json")), json.load(open(f"{out}/resumed.json"))
keys = lambda e: (e["epoch"], e["loss"], e["train"], e["val"], e["test"], e["qat"])
same_epochs = [keys(e) for e in a["epochs"]] == [keys(e) for e in b["epochs"]]
same_model = open(f"{out}/whole.tflite", "rb").read() == open(f"{out}/killed.tflite", "rb").read()
print(f"resumed after epoch {b['resumed_after_epoch']}: every epoch's loss and accuracies identical: {same_epochs}; int8 .tflite identical: {same_model};"
      f" int8 test accuracy {a['int8_test']['accuracy']:.4f} / {b['int8_test']['accuracy']:.4f}")
sys.exit(0 if same_epochs and same_model else 1)
PY
