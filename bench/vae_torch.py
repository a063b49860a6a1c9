#!/usr/bin/env python3
"""bench/vae_torch.py -- the PyTorch 1.13 side of bench/bench_vae.sh (issue 16).

    /usr/bin/python3 bench/vae_torch.py TRAIN.npy TEST.npy [--epochs 50] [--threads T]
        [--batch-size 128] [--lr 1e-3] [--seed 16] [--elbo-samples 1]
        [--iwae-k 5000] [--iwae-n 10000] [--iwae-chunk 1000] [--probe-batches 0]

Set the thread environment (OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS)
*before* starting Python: bench_vae.sh does. --threads calls torch.set_num_threads and
set_num_interop_threads(1). Prints one JSON object on stdout.

The model is the issue's and pytorch/examples' VAE: 784-400-20, encoder 784->400 ReLU ->
(20 means, 20 log-variances), decoder 20->400 ReLU ->784 logits, Bernoulli likelihood
(binary_cross_entropy_with_logits, summed over pixels), diagonal Gaussian q(z|x), standard
normal prior, analytic KL, one reparameterised draw per image per step, default nn.Linear
initialisation (Kaiming-uniform, a = sqrt(5)), Adam(lr) with PyTorch's defaults
(betas 0.9, 0.999, eps 1e-8), loss = mean over the minibatch of -ELBO. Each epoch visits
the training images in a fresh random order (torch.randperm), batch-size at a time, the
last batch short (60,000 = 468 x 128 + 96).

Timing: seconds of the training loop of each epoch (shuffle, batches, forward, backward,
Adam), time.perf_counter; nothing else is inside it. --probe-batches B times only the
first B batches of one epoch (for choosing the thread settings) and skips evaluation.

Evaluation on the test set, after the last epoch, in float32 (sums in float64):
  test ELBO   mean over test images of the ELBO with analytic KL and the reconstruction
              term averaged over --elbo-samples reparameterised draws (default 1).
              "elbo_se": standard error of that mean over images (spread of images and
              Monte-Carlo noise together).
  IWAE(k)     Burda, Grosse & Salakhutdinov (2016): per image,
              log (1/k) sum_j p(x, z_j) / q(z_j | x), z_j ~ q(z | x), k = --iwae-k,
              on the first --iwae-n test images, in chunks of --iwae-chunk draws.
              "iwae_mc_se": Monte-Carlo standard error of the mean over images, by the
              delta method per image: var(log mean w) ~ (mean(w^2)/mean(w)^2 - 1) / k;
              "iwae_se": standard error of the mean over images (spread of images).
All in nats per image (higher is better; the test NLL is -IWAE).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, d=784, h=400, z=20):
        super().__init__()
        self.fc1 = nn.Linear(d, h)
        self.fc2 = nn.Linear(h, 2 * z)   # means and log-variances, one GEMM
        self.fc3 = nn.Linear(z, h)
        self.fc4 = nn.Linear(h, d)
        self.z = z

    def encode(self, x):
        s = self.fc2(F.relu(self.fc1(x)))
        return s[:, :self.z], s[:, self.z:]

    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z)))


def neg_elbo_sum(model, x, samples=1):
    """Sum over the rows of x of -ELBO (analytic KL, reconstruction over `samples` draws)."""
    mu, logvar = model.encode(x)
    kl = 0.5 * torch.sum(mu * mu + logvar.exp() - 1.0 - logvar, dim=1)
    std = torch.exp(0.5 * logvar)
    rec = torch.zeros(x.shape[0], dtype=x.dtype)
    for _ in range(samples):
        z = mu + std * torch.randn_like(std)
        logits = model.decode(z)
        rec = rec + F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    return rec / samples + kl


@torch.no_grad()
def test_elbo(model, x, samples, batch=1000):
    vals = []
    for i in range(0, x.shape[0], batch):
        vals.append(-neg_elbo_sum(model, x[i:i + batch], samples).double())
    v = torch.cat(vals)
    return float(v.mean()), float(v.std() / math.sqrt(v.numel()))


LOG2PI = math.log(2.0 * math.pi)


@torch.no_grad()
def iwae(model, x, k, chunk):
    """Per image: log mean_j w_j and the delta-method variance of it."""
    est, var = [], []
    for i in range(x.shape[0]):
        xi = x[i:i + 1]
        mu, logvar = model.encode(xi)
        std = torch.exp(0.5 * logvar)
        lws = []
        for j in range(0, k, chunk):
            m = min(chunk, k - j)
            eps = torch.randn(m, mu.shape[1])
            z = mu + std * eps
            logits = model.decode(z)
            logpx = -F.binary_cross_entropy_with_logits(
                logits, xi.expand(m, -1), reduction="none").sum(1)
            logpz = -0.5 * (z * z).sum(1) - 0.5 * mu.shape[1] * LOG2PI
            logq = (-0.5 * (eps * eps) - 0.5 * logvar - 0.5 * LOG2PI).sum(1)
            lws.append((logpx + logpz - logq).double())
        lw = torch.cat(lws)
        lme = torch.logsumexp(lw, 0) - math.log(k)
        r2 = torch.exp(2.0 * (lw - lme)).mean()          # mean(w^2) / mean(w)^2
        est.append(float(lme))
        var.append(max(float(r2) - 1.0, 0.0) / k)
    est = np.array(est)
    n = est.size
    return (float(est.mean()), float(math.sqrt(sum(var)) / n),
            float(est.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hidden", type=int, default=400)
    ap.add_argument("--latent", type=int, default=20)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--elbo-samples", type=int, default=1)
    ap.add_argument("--iwae-k", type=int, default=5000)
    ap.add_argument("--iwae-n", type=int, default=10000)
    ap.add_argument("--iwae-chunk", type=int, default=1000)
    ap.add_argument("--probe-batches", type=int, default=0)
    a = ap.parse_args()

    load0 = os.getloadavg()[0]
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(a.seed)

    xtr = torch.from_numpy(np.load(a.train).astype(np.float32))
    xte = torch.from_numpy(np.load(a.test).astype(np.float32))
    n, d = xtr.shape
    model = VAE(d, a.hidden, a.latent)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)

    out = {"program": "pytorch", "torch": torch.__version__, "numpy": np.__version__,
           "threads": a.threads, "torch_num_threads": torch.get_num_threads(),
           "env": {k: os.environ.get(k) for k in
                   ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "OMP_WAIT_POLICY")},
           "n_train": n, "n_test": int(xte.shape[0]), "d": d, "hidden": a.hidden,
           "latent": a.latent, "batch_size": a.batch_size, "lr": a.lr, "seed": a.seed}

    if a.probe_batches > 0:
        model.train()
        perm = torch.randperm(n)
        nb = min(a.probe_batches, (n + a.batch_size - 1) // a.batch_size)
        for warm in (True, False):
            t0 = time.perf_counter()
            for b in range(nb):
                xb = xtr[perm[b * a.batch_size:(b + 1) * a.batch_size]]
                loss = neg_elbo_sum(model, xb).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            t = time.perf_counter() - t0
        out["probe_batches"] = nb
        out["probe_seconds"] = t
        out["probe_seconds_per_batch"] = t / nb
        out["probe_seconds_per_epoch_est"] = t / nb * (n / a.batch_size)
        out["load"] = f"{load0:.1f} -> {os.getloadavg()[0]:.1f}"
        print(json.dumps(out))
        return

    epochs = []
    for ep in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        tot = 0.0
        for b in range(0, n, a.batch_size):
            xb = xtr[perm[b:b + a.batch_size]]
            nelbo = neg_elbo_sum(model, xb)
            loss = nelbo.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += float(nelbo.detach().sum())
        t = time.perf_counter() - t0
        epochs.append({"epoch": ep + 1, "seconds": t, "train_elbo": -tot / n})
        print(f"epoch {ep + 1}: {t:.3f} s, train ELBO {-tot / n:.3f}", file=sys.stderr, flush=True)
    out["epochs"] = a.epochs
    out["load"] = f"{load0:.1f} -> {os.getloadavg()[0]:.1f}"
    out["trace"] = epochs
    secs = [e["seconds"] for e in epochs]
    out["seconds_per_epoch_mean"] = sum(secs) / len(secs)
    out["seconds_per_epoch_median"] = float(np.median(secs))
    out["seconds_per_epoch_min"] = min(secs)

    model.eval()
    t0 = time.perf_counter()
    out["elbo_samples"] = a.elbo_samples
    out["test_elbo"], out["test_elbo_se"] = test_elbo(model, xte, a.elbo_samples)
    out["test_elbo_seconds"] = time.perf_counter() - t0
    if a.iwae_k > 0 and a.iwae_n > 0:
        t0 = time.perf_counter()
        xi = xte[:a.iwae_n]
        out["iwae_k"] = a.iwae_k
        out["iwae_n"] = int(xi.shape[0])
        out["test_iwae"], out["test_iwae_mc_se"], out["test_iwae_se"] = iwae(
            model, xi, a.iwae_k, a.iwae_chunk)
        out["iwae_seconds"] = time.perf_counter() - t0
        # the ELBO on the same images, for comparison with the IWAE bound
        out["test_elbo_on_iwae_images"] = test_elbo(model, xi, a.elbo_samples)[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
