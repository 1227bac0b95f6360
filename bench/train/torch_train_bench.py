#!/usr/bin/env python3
"""The PyTorch side of `micronas bench train`: the same Graph JSON network as a torch module, timed
on the same training step (forward + backward + Adam update, log-softmax + NLL) with the same batch
and thread count. Benchmark-only: torch is never needed by `make test`.

  torch_train_bench.py GRAPH.json BATCH STEPS THREADS  →  one JSON line {"windows_per_second": …}

Layout: micronas is NHWC (time, sensors, channels); here NCHW with H = time, W = sensors. SAME padding
follows TFLite (the odd pixel after), so output shapes match micronas'.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


class GraphNet(torch.nn.Module):
    def __init__(self, graph):
        super().__init__()
        self.graph = graph
        self.convs = torch.nn.ModuleDict()
        shapes = {graph["inputs"][0]["name"]: graph["inputs"][0]["shape"]}  # [T, S, C]
        for n in graph["nodes"]:
            x = shapes[n["inputs"][0]]
            if n["op"] == "conv2d":
                kh, kw = n["kernel"]
                sh, sw = n.get("stride", [1, 1])
                same = n.get("padding", "SAME") == "SAME"
                self.convs[n["name"]] = torch.nn.Conv2d(x[2], n["filters"], (kh, kw), (sh, sw), bias=n.get("bias", True))
                if same:
                    oh, ow = -(-x[0] // sh), -(-x[1] // sw)
                else:
                    oh, ow = (x[0] - kh + sh) // sh, (x[1] - kw + sw) // sw
                shapes[n["name"]] = [oh, ow, n["filters"]]
            elif n["op"] == "mean":
                shapes[n["name"]] = [x[2]]
            else:
                shapes[n["name"]] = x
        self.shapes = shapes

    def forward(self, window):
        values = {self.graph["inputs"][0]["name"]: window}
        for n in self.graph["nodes"]:
            a = values[n["inputs"][0]]
            if n["op"] == "conv2d":
                conv = self.convs[n["name"]]
                if n.get("padding", "SAME") == "SAME":
                    h, w = a.shape[2], a.shape[3]
                    (kh, kw), (sh, sw) = conv.kernel_size, conv.stride
                    oh, ow = -(-h // sh), -(-w // sw)
                    ph, pw = max(0, (oh - 1) * sh + kh - h), max(0, (ow - 1) * sw + kw - w)
                    a = F.pad(a, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
                y = conv(a)
            elif n["op"] == "add":
                y = a + values[n["inputs"][1]]
            elif n["op"] == "mean":
                y = a.mean(dim=(2, 3))
            elif n["op"] == "softmax":
                y = a  # trained on logits, as micronas does
            elif n["op"] == "dropout":
                y = F.dropout(a, n.get("rate", 0.0), self.training)
            else:
                raise SystemExit(f"unsupported op {n['op']}")
            if n.get("activation") == "RELU":
                y = F.relu(y)
            values[n["name"]] = y
        return values[self.graph["outputs"][0]]


def main():
    graph_path, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    graph = json.load(open(graph_path))
    net = GraphNet(graph)
    t, s, c = graph["inputs"][0]["shape"]
    x = torch.randn(batch, c, t, s)
    classes = net.shapes[graph["outputs"][0]][0]
    y = torch.randint(0, classes, (batch,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = F.nll_loss(F.log_softmax(net(x), dim=1), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"torch": torch.__version__, "threads": threads, "batch": batch, "steps": steps,
                      "seconds": seconds, "windows_per_second": batch * steps / seconds}))


if __name__ == "__main__":
    main()
