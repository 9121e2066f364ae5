"""The practical peak of PyTorch on CPU: a 1024^3 float32 matrix product on one thread, median of 5
after a warm-up; one JSON line, as bench/engine/matmul-peak.ts prints, for
bench/engine/peer-compare.ts --peak. Needs Debian's python3-torch; run with /usr/bin/python3."""
import json
import time

import torch


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)  # warm-up
    times, cpu = [], []
    for _ in range(5):
        c0, t0 = time.process_time(), time.perf_counter()
        torch.mm(a, b)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    ms = sorted(times)[2]
    print(json.dumps({'median_ms': round(ms, 1), 'cpu_ms': round(sorted(cpu)[2], 1),
                      'gflops': round(2 * n ** 3 / ms / 1e6, 1), 'times_ms': [round(t) for t in times]}))


if __name__ == '__main__':
    main()
