#!/bin/bash
# How much of the anomaly detectors' scores is owed to the particular trained weights: trains the
# forecaster again with other seeds (and one other size) and scores each model, with the compact
# detector (the default) and the windowed one, on NAB and on the development corpus (if DEV_DIR exists).
# Needs Debian's python3-torch (apt-get install python3-torch); about 4 minutes per model on 2 cores.
# Models, results and the summary go to target/seed-spread/.
#
#     bash anomaly/forecaster/seed-spread.sh [NAB_DIR] [DEV_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
nab_dir=${1:-../shared/nab}
dev_dir=${2:-../shared/anomaly-dev}
out=target/seed-spread
mkdir -p "$out"
mvn -q -B install -DskipTests && mvn -q -B -f anomaly install -DskipTests && mvn -q -B -f jobs compile
# seed hidden: the bundled model's recipe first, then three other seeds, then a wider GRU
runs=("20261127 24" "1 24" "2 24" "3 24" "1 32")
summary="$out/summary.txt"
printf '%-8s %-6s %-22s %9s %19s %19s  %-28s %17s %12s %13s\n' seed hidden "MSE, last batch (naive)" standard \
    reward_low_FP_rate reward_low_FN_rate "windows, false positives" "windowed: standard" "dev: compact" "dev: windowed" > "$summary"
i=0
for run in "${runs[@]}"; do
  i=$((i + 1))
  read -r seed hidden <<< "$run"
  model="$out/gru$hidden-seed$seed.safetensors"
  echo "[$i/${#runs[@]}] seed $seed, hidden $hidden: training"
  /usr/bin/python3 anomaly/forecaster/train.py "$nab_dir" --seed "$seed" --hidden "$hidden" --out "$model" \
      > "$out/gru$hidden-seed$seed.log"
  if [ "$seed $hidden" = "20261127 24" ]; then
    if cmp -s "$model" anomaly/forecaster/model.safetensors; then
      echo "[$i/${#runs[@]}] the recipe's own seed reproduces the bundled anomaly/forecaster/model.safetensors byte for byte"
    else
      echo "[$i/${#runs[@]}] WARNING: the recipe's own seed gives weights other than the bundled ones"
    fi
  fi
  mse=$(grep '^step' "$out/gru$hidden-seed$seed.log" | tail -1 | sed -E 's/.*mse ([0-9.]+) +\(last-value baseline ([0-9.]+)\).*/\1 (\2)/')
  echo "[$i/${#runs[@]}] seed $seed, hidden $hidden: MSE on the last batch (the last value's in parentheses) $mse; scoring NAB"
  mvn -q -B -f jobs exec:exec -Dexec.args="nab --nab-dir $nab_dir --out $out/nab-gru$hidden-seed$seed --model $model" \
      > "$out/nab-gru$hidden-seed$seed.log"
  read -r std lfp lfn < <(awk '$1 == "flinkRecurrent" { print $2, $3, $4; exit }' "$out/nab-gru$hidden-seed$seed.log")
  detected=$(grep -o '[0-9]* of [0-9]* windows detected.*false positives' "$out/nab-gru$hidden-seed$seed.log" \
      | sed -E 's/ windows detected \(mean weight [0-9.]+ of 1\),/ windows,/')
  echo "[$i/${#runs[@]}] seed $seed, hidden $hidden: standard $std, reward_low_FP_rate $lfp, reward_low_FN_rate $lfn"
  # the standard profile's score of a run: nab DIR NAME [--detector compact]
  standard() {
    mvn -q -B -f jobs exec:exec -Dexec.args="nab --nab-dir $1 --out $out/$2 --model $model ${3:-}" > "$out/$2.log"
    awk '$1 == "flinkRecurrent" { print $2; exit }' "$out/$2.log"
  }
  windowed=$(standard "$nab_dir" "nab-windowed-gru$hidden-seed$seed" "--detector windowed")
  dev_c=-
  dev_w=-
  if [ -d "$dev_dir" ]; then
    dev_c=$(standard "$dev_dir" "dev-gru$hidden-seed$seed")
    dev_w=$(standard "$dev_dir" "dev-windowed-gru$hidden-seed$seed" "--detector windowed")
  fi
  echo "[$i/${#runs[@]}] seed $seed, hidden $hidden: windowed on NAB $windowed; development corpus: compact $dev_c, windowed $dev_w"
  printf '%-8s %-6s %-22s %9s %19s %19s  %-28s %17s %12s %13s\n' "$seed" "$hidden" "$mse" "$std" "$lfp" "$lfn" "$detected" \
      "$windowed" "$dev_c" "$dev_w" >> "$summary"
done
echo
cat "$summary"
