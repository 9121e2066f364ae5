#!/bin/bash
# The README demo on 1 thread and on `--threads auto`, alternating, with a fresh trial cache before
# the first `auto` run; prints wall seconds, the thread decision and the search's own seconds
# (train / prune / valid from the epoch events). Run it after `npm run build` on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
out=$(mktemp -d)
export BNAS_BACKEND_CACHE="$out/cache.json"
uptime
for i in $(seq 1 "$rounds"); do
  for t in 1 auto; do
    run="$out/$t-$i"
    /usr/bin/time -f "threads $t, run $i: %e s wall" node dist/cli.cjs search examples/quick.bnas --out "$run" --threads "$t" >/dev/null 2>"$run.err" || { cat "$run.err"; exit 1; }
    tail -1 "$run.err"
    node -e '
      const ev = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const s = ev.find((e) => e.type === "started"), f = ev.find((e) => e.type === "finished");
      const sum = (k) => ev.filter((e) => e.type === "epoch").reduce((a, e) => a + e[k], 0).toFixed(1);
      console.log(`  ${s.threads} thread(s)${s.shard_steps === false ? ", steps on 1" : ""}: ${s.threads_reason}`);
      console.log(`  search ${f.seconds.toFixed(1)} s: train ${sum("train_seconds")}, prune ${sum("prune_seconds")}, valid ${sum("valid_seconds")}; test ${(100 * f.test_acc).toFixed(1)} %`);
    ' "$run/events.jsonl"
  done
done
uptime
rm -rf "$out"
