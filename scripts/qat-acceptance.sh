#!/usr/bin/env bash
# Issue 19's accuracy figures: the reference network (examples/reference_har.json) on the subject-wise
# UCI-HAR split, for each seed: float training (+ post-training quantization of its checkpoint) and
# QAT training, int8 accuracy from the Swift reference interpreter; then mean ± std over the seeds.
#   scripts/qat-acceptance.sh [OUTDIR] [SEEDS...]      (default: $MICRONAS_CACHE/qat-acceptance, seeds 1 2 3)
# Needs the release build (make release) and the fetched dataset (micronas dataset fetch uci-har).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.build/release/micronas"
out=${1:-${MICRONAS_CACHE:-$HOME/.cache/micronas}/qat-acceptance}
shift || true
seeds=${*:-1 2 3}
epochs=${EPOCHS:-20}
mkdir -p "$out"
for s in $seeds; do
  "$bin" train --graph "$root/examples/reference_har.json" --dataset uci-har --epochs "$epochs" --seed "$s" \
    --checkpoint "$out/float-$s.ckpt.json" --fresh --json > "$out/float-$s.out.json"
  "$bin" quantize --graph "$root/examples/reference_har.json" --checkpoint "$out/float-$s.ckpt.json" --dataset uci-har --seed "$s" \
    --model-out "$out/ptq-$s.tflite" --json > "$out/ptq-$s.out.json"
  "$bin" train --graph "$root/examples/reference_har.json" --dataset uci-har --epochs "$epochs" --seed "$s" --qat \
    --checkpoint "$out/qat-$s.ckpt.json" --fresh --model-out "$out/qat-$s.tflite" --json > "$out/qat-$s.out.json"
done
python3 - "$out" $seeds <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
rows = []
for s in seeds:
    f = json.load(open(f"{out}/float-{s}.out.json"))["epochs"][-1]["test"]["accuracy"]
    p = json.load(open(f"{out}/ptq-{s}.out.json"))
    q = json.load(open(f"{out}/qat-{s}.out.json"))
    rows.append((s, f, p["int8_test"]["accuracy"], q["epochs"][-1]["test"]["accuracy"], q["int8_test"]["accuracy"],
                 q["fake_quant_vs_int8"]["same_class"], q["fake_quant_vs_int8_logits"]["values_equal"]))
    print(f"seed {s}: float {f:.4f}  PTQ int8 {rows[-1][2]:.4f}  QAT fake-quant {rows[-1][3]:.4f}  QAT int8 {rows[-1][4]:.4f}"
          f"  (int8 - float {100 * (rows[-1][4] - f):+.2f} pp; fake-quant/int8 same class {100 * rows[-1][5]:.2f} %, logits equal {100 * rows[-1][6]:.2f} %)")
def ms(i):
    v = [r[i] * 100 for r in rows]
    return f"{statistics.mean(v):.2f} ± {statistics.stdev(v) if len(v) > 1 else 0:.2f} %"
print(f"mean ± std over {len(rows)} seeds: float {ms(1)}, PTQ int8 {ms(2)}, QAT int8 {ms(4)}")
gap = [100 * (r[4] - r[1]) for r in rows]
print(f"QAT int8 - float: {statistics.mean(gap):+.2f} ± {statistics.stdev(gap) if len(gap) > 1 else 0:.2f} pp;"
      f" PTQ int8 - float: {statistics.mean([100 * (r[2] - r[1]) for r in rows]):+.2f} pp")
PY
