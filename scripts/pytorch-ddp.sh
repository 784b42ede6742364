#!/usr/bin/env bash
# The PyTorch export measured once, larger than its test (tests/node/pytorch.test.ts): a generated CSV of
# overlapping classes, `npm run train -- --device cpu --export-pytorch`, then the exported train.py from
# the same init in one process and on two DistributedDataParallel ranks (gloo, 127.0.0.1, started through
# the environment variables), each read back by `npm run predict -- --split test`.
#   bash scripts/pytorch-ddp.sh [ROWS] [EPOCHS] [extra npm run train flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-5000}; epochs=${2:-10}; shift $(( $# < 2 ? $# : 2 ))
py=${PYTHON:-$(command -v python3)}
"$py" -c 'import torch' 2>/dev/null || py=/usr/bin/python3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$py" - "$work/data.csv" "$rows" <<'PY'
import sys, numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(21)
c = rng.integers(0, 3, n)
x = np.array([[0, 0, 0, 0], [1.2, 0.3, 0.5, 0], [0.5, 1.1, 0, 0.6]])[c] + rng.normal(0, 0.8, (n, 4))
with open(path, 'w') as f:
    f.write('a,b,c,d,id,kind\n')
    for i in range(n):
        f.write(','.join(f'{v:.5f}' for v in x[i]) + f',{i},"{["one", "two", "three"][c[i]]}"\n')
PY
flags=(--data "$work/data.csv" --drop id --hidden 32,32 --epochs "$epochs" --normalize standard "$@")
start=$(date +%s.%N)
npm run -s train -- "${flags[@]}" --device cpu --export-pytorch "$work/exp" | grep '^final'
echo "npm run train --device cpu: $(echo "$(date +%s.%N) - $start" | bc) s"
acc() { npm run -s predict -- --model "$1" --split test | grep -o 'accuracy.*'; }
start=$(date +%s.%N)
(cd "$work/exp" && "$py" train.py --init none --out one.safetensors --eval-every 100000 | tail -1)
echo "train.py, one process: $(echo "$(date +%s.%N) - $start" | bc) s, $(acc "$work/exp/one.safetensors")"
start=$(date +%s.%N)
port=$(( 20000 + RANDOM % 20000 ))
for r in 0 1; do
  (cd "$work/exp" && RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port OMP_NUM_THREADS=1 \
    "$py" train.py --init none --out two.safetensors --eval-every 100000 > "rank$r.log" 2>&1) &
done
wait
tail -1 "$work/exp/rank0.log"
echo "train.py, two ranks: $(echo "$(date +%s.%N) - $start" | bc) s, $(acc "$work/exp/two.safetensors")"
