"""PyTorch's contender in bench/engine/derived-peer.ts: training steps of an exported derived network.

The network is the one `bnas export RUN --format pytorch` writes (MODEL.py): build_model() at its
INPUT_SHAPE and NUM_CLASSES, batches of TRAIN["batch"], and the step of the file's own training loop
(forward, cross-entropy, backward, clip_grad_norm_ when OPTIMIZER has grad_clip, SGD with the
OPTIMIZER's momentum and weight decay). Random batches; --warmup steps are not timed.

    python bench/peers/pytorch/derived_step.py MODEL.py --threads 1 --steps 3 --warmup 1

Prints one JSON line: images_per_second, step_ms, median_ms, cpu_ms (process CPU, all threads),
parameters, input, classes, batch, supernet, binarize, threads, torch.
"""
import argparse
import importlib.util
import json
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=3)
p.add_argument("--warmup", type=int, default=1)
args = p.parse_args()
# Before any parallel work: intra-op threads as asked, one inter-op thread.
torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)

spec = importlib.util.spec_from_file_location("exported_model", args.model)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)

torch.manual_seed(1)
model = m.build_model()
model.train()
o = m.OPTIMIZER
if o["kind"] != "sgd":
    raise SystemExit("derived_step.py times the SGD step (the space's weight optimizer is %s)" % o["kind"])
opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"])
batch = m.TRAIN["batch"]
c, h, w = m.INPUT_SHAPE
batches = [(torch.randn(batch, c, h, w), torch.randint(0, m.NUM_CLASSES, (batch,))) for _ in range(2)]


def step(i):
    x, y = batches[i % len(batches)]
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    if o.get("grad_clip"):
        torch.nn.utils.clip_grad_norm_(model.parameters(), o["grad_clip"])
    opt.step()
    # The runtime reads its loss and correct count back every step; so does the file's loop.
    loss.item()
    (logits.argmax(1) == y).sum().item()


for i in range(args.warmup):
    step(i)
wall, cpu = [], []
for i in range(args.steps):
    c0, t0 = time.process_time(), time.perf_counter()
    step(i)
    wall.append((time.perf_counter() - t0) * 1000)
    cpu.append((time.process_time() - c0) * 1000)
med = sorted(wall)[len(wall) // 2]
print(json.dumps({
    "images_per_second": 1000 * batch / med,
    "step_ms": [round(t, 1) for t in wall],
    "median_ms": round(med, 1),
    "cpu_ms": round(sorted(cpu)[len(cpu) // 2]),
    "parameters": sum(q.numel() for q in model.parameters()),
    "input": list(m.INPUT_SHAPE),
    "classes": m.NUM_CLASSES,
    "batch": batch,
    "supernet": m.SUPERNET,
    "binarize": m.BINARIZE,
    "threads": torch.get_num_threads(),
    "interop_threads": torch.get_num_interop_threads(),
    "torch": torch.__version__,
}))
