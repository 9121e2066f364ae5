"""Checks an exported network with PyTorch for the export tests; prints one JSON object.

    torch_check.py count MODEL.py [WEIGHTS]         parameter count (and a strict load_weights)
    torch_check.py parity MODEL.py WEIGHTS FIXTURE  logits (eval) and gradients (train) vs the runtime's
    torch_check.py train MODEL.py STEPS             loss of each SGD step on a small separable task
    torch_check.py main MODEL.py DIR                the file's __main__ (training) on stand-in data, weights saved in DIR
"""
import importlib.util
import json
import sys

import torch

torch.set_num_threads(1)


def load(path):
    spec = importlib.util.spec_from_file_location("exported_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def count(m, weights=None):
    model = m.build_model()
    if weights:
        m.load_weights(model, weights)
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "ops": list(m.OPS.keys()),
        "space": m.SPACE_NAME,
        "input_shape": list(m.INPUT_SHAPE),
    }


def max_diff(a, b):
    return float((a - b).abs().max()) if a.numel() else 0.0


def parity(m, weights, fixture):
    t = m.read_safetensors(fixture)
    model = m.build_model(num_classes=t["logits"].shape[1], in_channels=t["x"].shape[3])
    m.load_weights(model, weights)
    x = t["x"].permute(0, 3, 1, 2).contiguous()  # the runtime's NHWC batch
    labels = t["labels"].long()
    model.eval()
    with torch.no_grad():
        logits = model(x)
    out = {"logits": max_diff(logits, t["logits"]), "logits_scale": float(t["logits"].abs().max())}
    model.train()
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), labels)
    loss.backward()
    out["loss"] = abs(loss.item() - float(t["loss"][0]))
    grads = m.runtime_tensors(model, grad=True)
    worst, worst_name, scale, missing = 0.0, "", 0.0, []
    for name, g in grads.items():
        ref = t.get("grad." + name)
        if ref is None:
            missing.append(name)
            continue
        got = torch.zeros_like(ref) if g is None else g
        d = max_diff(got, ref)
        scale = max(scale, float(ref.abs().max()) if ref.numel() else 0.0)
        if d > worst:
            worst, worst_name = d, name
    out.update({"grads": worst, "grads_worst": worst_name, "grads_scale": scale, "grads_missing": missing, "grads_count": len(grads)})
    # Running statistics after the training forward (the runtime updates them with the unbiased variance).
    stats = m.runtime_tensors(model)
    # Relative to the statistic's size: running variances reach ~100 in the binary networks.
    rel = [max_diff(stats[k], t["after." + k]) / max(1.0, float(t["after." + k].abs().max())) for k in stats if ("after." + k) in t]
    out["running"] = max(rel, default=0.0)
    out["running_count"] = len(rel)
    return out


def train(m, steps):
    torch.manual_seed(0)
    c, h, w = m.INPUT_SHAPE
    classes = 3
    model = m.build_model(num_classes=classes)
    protos = torch.randn(classes, c, h, w)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        y = torch.randint(0, classes, (16,))
        x = protos[y] + 0.3 * torch.randn(16, c, h, w)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return {"losses": losses}


def main_loop(path, root):
    # The file's __main__ on a stand-in for its torchvision data (three classes of images with a
    # bright left, middle or right third), so the training loop, schedule, normalization, test pass
    # and --save run without torchvision.
    import os

    m = load(path)
    c, h, w = m.INPUT_SHAPE
    g = torch.Generator().manual_seed(0)

    class Images(torch.utils.data.TensorDataset):
        classes = ["left", "middle", "right"]

    def data(args, train, augment=True):
        n = 24 if train else 9
        y = torch.arange(n) % 3
        x = torch.rand(n, c, h, w, generator=g) * 0.3
        for i in range(n):
            x[i, :, :, (w // 3) * int(y[i]):(w // 3) * (int(y[i]) + 1)] += 0.6
        return Images(x, y)

    m._dataset = data
    weights = os.path.join(root, "trained.safetensors")
    sys.argv = [path, "--folder", root, "--epochs", "2", "--batch", "8", "--save", weights]
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        m.main()
    model = m.build_model(num_classes=3)
    m.load_weights(model, weights)
    return {"stdout": buf.getvalue(), "parameters": sum(p.numel() for p in model.parameters())}


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    m = load(path)
    if cmd == "count":
        out = count(m, sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "parity":
        out = parity(m, sys.argv[3], sys.argv[4])
    elif cmd == "main":
        out = main_loop(path, sys.argv[3])
    elif cmd == "train":
        out = train(m, int(sys.argv[3]))
    else:
        raise SystemExit("unknown command " + cmd)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
