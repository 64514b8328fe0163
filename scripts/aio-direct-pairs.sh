#!/bin/bash
# aio-direct-pairs.sh [PAIRS] — O_DIRECT 4 KiB random reads at depth 32:
# the aio Engine with registered buffers against fio io_uring batched with
# fixed buffers and files, in alternating pairs (the order swaps every
# pair), because a shared VM's virtio disk moves by ±30% between
# consecutive runs. Prints each pair and the median of the pair ratios.
set -euo pipefail
pairs=${1:-20}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/fasync
go build -o "$bin" ./cmd/fasync
file=${FASYNC_BENCH_FILE:-${TMPDIR:-/tmp}/fasync-bench.dat} # the benchmarks' cache file
"$bin" bench aio --direct --size 1g --filename "$file" --runtime 1 >/dev/null 2>&1 # lays it out to 1 GiB
ours() {
	"$bin" bench aio --direct --fixedbufs --filename "$file" --runtime 3 --json 2>/dev/null |
		python3 -c 'import sys, json; print(int(json.load(sys.stdin)["iops"]))'
}
fiorun() {
	fio --name=pair --filename="$file" --rw=randread --bs=4096 --size=1g --iodepth=32 --direct=1 \
		--runtime=3s --time_based --invalidate=0 --iomem_align=4096 --norandommap --randrepeat=0 \
		--ioengine=io_uring --fixedbufs=1 --registerfiles=1 --iodepth_batch_submit=32 \
		--iodepth_batch_complete_min=1 --iodepth_batch_complete_max=32 --output-format=json 2>/dev/null |
		python3 -c 'import sys, json; print(int(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))'
}
out=$(mktemp)
for i in $(seq 1 "$pairs"); do
	if ((i % 2)); then a=$(ours); b=$(fiorun); else b=$(fiorun); a=$(ours); fi
	echo "pair $i: fasync $a IOPS, fio $b IOPS" | tee -a "$out"
done
python3 - "$out" <<'PY'
import re, statistics, sys
p = [tuple(map(int, re.findall(r"(\d+) IOPS", l))) for l in open(sys.argv[1])]
r = sorted(a / b for a, b in p)
print(f"pairs {len(p)}: median ratio fasync/fio {statistics.median(r):.3f}, "
      f"quartiles {r[len(r)//4]:.3f}-{r[3*len(r)//4]:.3f}, summed {sum(a for a, _ in p) / sum(b for _, b in p):.3f}")
PY
