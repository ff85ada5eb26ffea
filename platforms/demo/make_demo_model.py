#!/usr/bin/python3
"""Build sparq's bundled demo model: a small CNN for scikit-learn's 8x8 digits.

Run with Debian's Python (not a pyenv/venv one), from anywhere:

    /usr/bin/python3 platforms/demo/make_demo_model.py

Needs the Debian bookworm packages python3-torch, python3-sklearn, python3-onnx
(python3-numpy comes with them). No network: the digits data set is bundled with
scikit-learn. Writes into platforms/src/main/resources/dev/sparq/demo/ (or --out DIR):

    digits-demo.onnx             the FP32 model (opset 13, ir_version 7, batch dim "N")
    digits-demo-eval-x.npy       float32 [360,1,8,8] test split, pixel/16
    digits-demo-eval-y.npy       int64   [360] test labels
    digits-demo-eval-logits.npy  float32 [360,10] reference logits of the model on eval-x
    digits-demo-calib/sample_NNN.npy  64 x float32 [1,1,8,8] from the TRAIN split
    digits-demo.json             how it was made, accuracy, reference logits

Everything is seeded and training runs on one thread, so a rerun on the same
machine and package versions gives the same files byte for byte.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import onnx
import sklearn
import torch
from onnx import numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20261126
SPLIT_RANDOM_STATE = 7
TEST_SIZE = 0.2
EPOCHS = 40
BATCH = 64
LR = 1e-3
OPSET = 13
IR_VERSION = 7
N_CALIB = 64
MIN_ACCURACY = 0.95
TOLERANCE = 1e-4

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(
    os.path.join(HERE, "..", "src", "main", "resources", "dev", "sparq", "demo"))


class DigitsDemoNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.flatten = torch.nn.Flatten()
        self.fc1 = torch.nn.Linear(16 * 4 * 4, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = self.pool(x)
        x = self.flatten(x)
        x = torch.relu(self.fc1(x))
        return self.fc2(x)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def save_npy(path, array):
    # C order, little-endian, format 1.0: what sparq's Npy reader expects.
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


# ---------------------------------------------------------------- numpy oracle
def np_conv2d_pad1(x, w, b):
    """x [N,C,H,W], w [K,C,3,3], stride 1, pad 1, no dilation/groups."""
    n, c, h, wd = x.shape
    k = w.shape[0]
    xp = np.zeros((n, c, h + 2, wd + 2), dtype=np.float64)
    xp[:, :, 1:h + 1, 1:wd + 1] = x
    out = np.zeros((n, k, h, wd), dtype=np.float64)
    for dy in range(3):
        for dx in range(3):
            patch = xp[:, :, dy:dy + h, dx:dx + wd]            # [N,C,H,W]
            out += np.einsum("nchw,kc->nkhw", patch, w[:, :, dy, dx])
    return out + b.reshape(1, k, 1, 1)


def np_forward(model_proto, x):
    """Independent float64 forward pass that walks the exported ONNX graph."""
    g = model_proto.graph
    env = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in g.initializer}
    env[g.input[0].name] = x.astype(np.float64)
    for node in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input if i]
        if node.op_type == "Conv":
            assert list(a.get("kernel_shape", [3, 3])) == [3, 3]
            assert list(a.get("pads", [0] * 4)) == [1, 1, 1, 1], a
            assert list(a.get("strides", [1, 1])) == [1, 1]
            assert list(a.get("dilations", [1, 1])) == [1, 1]
            assert a.get("group", 1) == 1
            y = np_conv2d_pad1(ins[0], ins[1], ins[2])
        elif node.op_type == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif node.op_type == "MaxPool":
            assert list(a["kernel_shape"]) == [2, 2] and list(a.get("strides", [])) == [2, 2]
            assert list(a.get("pads", [0] * 4)) == [0, 0, 0, 0]
            t = ins[0]
            n, c, h, w = t.shape
            y = t.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
        elif node.op_type == "Flatten":
            assert a.get("axis", 1) == 1
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif node.op_type == "Gemm":
            A, B, C = ins
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            y = a.get("alpha", 1.0) * (A @ B) + a.get("beta", 1.0) * C
        else:
            raise RuntimeError("numpy oracle: unexpected op " + node.op_type)
        env[node.output[0]] = y
    return env[g.output[0].name]


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = ap.parse_args()
    out = args.out

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    # ---- data
    digits = load_digits()
    x_all = (digits.images.astype(np.float32) / np.float32(16.0)).reshape(-1, 1, 8, 8)
    y_all = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(
        np.arange(len(y_all)), test_size=TEST_SIZE, random_state=SPLIT_RANDOM_STATE,
        stratify=y_all)
    x_tr, y_tr = x_all[idx_train], y_all[idx_train]
    x_te, y_te = x_all[idx_test], y_all[idx_test]
    assert x_te.shape == (360, 1, 8, 8) and x_tr.shape == (1437, 1, 8, 8)

    # ---- train
    net = DigitsDemoNet()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(yt), generator=gen)
        total = 0.0
        for i in range(0, len(yt), BATCH):
            b = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(net(xt[b]), yt[b])
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        if epoch % 10 == 9 or epoch == EPOCHS - 1:
            print(f"epoch {epoch + 1:3d}  train loss {total / len(yt):.4f}")

    net.eval()
    with torch.no_grad():
        logits_torch = net(torch.from_numpy(x_te)).numpy()
        train_acc = float((net(xt).argmax(1).numpy() == y_tr).mean())
    pred = logits_torch.argmax(1)
    correct = int((pred == y_te).sum())
    acc = correct / len(y_te)
    print(f"train accuracy {train_acc:.4f}, test accuracy {acc:.4f} ({correct}/{len(y_te)})")
    if acc < MIN_ACCURACY:
        sys.exit(f"test accuracy {acc:.4f} below {MIN_ACCURACY}")

    # ---- export
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "digits-demo.onnx")
    torch.onnx.export(
        net, torch.from_numpy(x_te[:1]), onnx_path,
        opset_version=OPSET, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        do_constant_folding=True, export_params=True,
        keep_initializers_as_inputs=False)
    model = onnx.load(onnx_path)
    # Pin the header, drop exporter noise (doc strings carry source paths).
    model.ir_version = IR_VERSION
    model.producer_name = "sparq make_demo_model.py (torch.onnx " + torch.__version__ + ")"
    model.producer_version = ""
    model.doc_string = ""
    model.graph.name = "digits_demo"
    for node in model.graph.node:
        node.doc_string = ""
    meta = {"source": "sklearn.datasets.load_digits",
            "input_scale": "pixel/16",
            "split": f"train_test_split(test_size={TEST_SIZE}, random_state={SPLIT_RANDOM_STATE}, stratify=y)"}
    del model.metadata_props[:]
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(model, onnx_path)

    # ---- check the exported file
    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    assert model.ir_version == IR_VERSION, model.ir_version
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)], model.opset_import
    ops = [n.op_type for n in model.graph.node]
    assert "Constant" not in ops, ops
    assert all(n.domain == "" for n in model.graph.node)
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["logits"]
    in_dims = model.graph.input[0].type.tensor_type.shape.dim
    out_dims = model.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in in_dims] == ["N", 1, 8, 8]
    assert [d.dim_param or d.dim_value for d in out_dims] == ["N", 10]

    logits_np = np_forward(model, x_te)
    diff_np = float(np.abs(logits_np - logits_torch).max())
    print(f"ops {ops}")
    print(f"max |numpy(onnx weights) - torch| = {diff_np:.3e}")
    if diff_np > TOLERANCE:
        sys.exit(f"numpy cross-check failed: {diff_np} > {TOLERANCE}")
    ort_diff = None
    try:
        import onnxruntime as ort  # optional; not a Debian bookworm package
        sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        ort_logits = sess.run(["logits"], {"input": x_te})[0]
        ort_diff = float(np.abs(ort_logits - logits_torch).max())
        print(f"max |onnxruntime - torch| = {ort_diff:.3e}")
        if ort_diff > TOLERANCE:
            sys.exit(f"onnxruntime cross-check failed: {ort_diff} > {TOLERANCE}")
    except ImportError:
        print("onnxruntime not installed: numpy cross-check only")

    # ---- samples
    save_npy(os.path.join(out, "digits-demo-eval-x.npy"), x_te.astype(np.float32))
    save_npy(os.path.join(out, "digits-demo-eval-y.npy"), y_te.astype(np.int64))
    save_npy(os.path.join(out, "digits-demo-eval-logits.npy"), logits_torch.astype(np.float32))
    calib_dir = os.path.join(out, "digits-demo-calib")
    if os.path.isdir(calib_dir):
        shutil.rmtree(calib_dir)
    os.makedirs(calib_dir)
    rng = np.random.default_rng(SEED)
    calib_pos = np.sort(rng.choice(len(idx_train), size=N_CALIB, replace=False))
    for j, p in enumerate(calib_pos):
        save_npy(os.path.join(calib_dir, f"sample_{j:03d}.npy"),
                 x_tr[p:p + 1].astype(np.float32))

    # ---- manifest
    params = sum(int(np.prod(i.dims)) for i in model.graph.initializer)
    per_class = {str(c): [int(((pred == c) & (y_te == c)).sum()), int((y_te == c).sum())]
                 for c in range(10)}
    manifest = {
        "name": "digits-demo",
        "description": "Small FP32 CNN for scikit-learn's 8x8 handwritten digits; sparq's bundled demo model.",
        "generator": "platforms/demo/make_demo_model.py",
        "tools": {"python": sys.version.split()[0], "torch": torch.__version__,
                  "onnx": onnx.__version__, "sklearn": sklearn.__version__,
                  "numpy": np.__version__,
                  "debian_packages": ["python3-torch", "python3-sklearn", "python3-onnx"]},
        "source": {
            "dataset": "sklearn.datasets.load_digits (1797 images 8x8, 10 classes; bundled with scikit-learn, "
                       "originally the UCI 'Optical Recognition of Handwritten Digits' test set)",
            "preprocessing": "digits.images as float32 divided by 16 (values in [0,1]), shape [N,1,8,8]",
        },
        "split": {
            "call": f"sklearn.model_selection.train_test_split(np.arange(1797), test_size={TEST_SIZE}, "
                    f"random_state={SPLIT_RANDOM_STATE}, stratify=digits.target)",
            "train": int(len(idx_train)), "test": int(len(idx_test)),
            "note": "differs from shared/models' digits-test-split (random_state=42)",
            "test_dataset_indices": [int(i) for i in idx_test],
        },
        "onnx": {
            "file": "digits-demo.onnx", "opset": OPSET, "ir_version": IR_VERSION,
            "domains": [""],
            "inputs": [{"name": "input", "dtype": "float32", "shape": ["N", 1, 8, 8]}],
            "outputs": [{"name": "logits", "dtype": "float32", "shape": ["N", 10]}],
            "nodes": ops,
            "initializers": {i.name: list(i.dims) for i in model.graph.initializer},
            "parameters": params,
            "bytes": os.path.getsize(onnx_path),
            "sha256": sha256_file(onnx_path),
        },
        "architecture": [
            "Conv(1->8, 3x3, stride 1, pad 1) + Relu   -> [N,8,8,8]",
            "Conv(8->16, 3x3, stride 1, pad 1) + Relu  -> [N,16,8,8]",
            "MaxPool(2x2, stride 2)                    -> [N,16,4,4]",
            "Flatten                                   -> [N,256]",
            "Gemm(256->32, transB=1) + Relu            -> [N,32]",
            "Gemm(32->10, transB=1)                    -> [N,10] logits",
        ],
        "training": {
            "framework": "torch " + torch.__version__ + " (CPU, 1 thread, deterministic algorithms)",
            "seed": SEED, "optimizer": "Adam", "lr": LR, "epochs": EPOCHS, "batch": BATCH,
            "loss": "cross-entropy", "shuffle": "torch.randperm per epoch with a seeded Generator",
            "init": "torch default (after torch.manual_seed(seed))",
            "train_accuracy": round(train_acc, 6),
        },
        "accuracy": {
            "fp32_test": round(acc, 6), "correct": correct, "total": int(len(y_te)),
            "per_class_correct_total": per_class,
        },
        "crosscheck": {
            "numpy_float64_forward_of_onnx_weights_max_abs_diff": diff_np,
            "onnxruntime_max_abs_diff": ort_diff,
            "tolerance": TOLERANCE,
        },
        "files": {
            "eval_x": {"file": "digits-demo-eval-x.npy", "dtype": "float32", "shape": [360, 1, 8, 8],
                       "what": "the test split, pixel/16"},
            "eval_y": {"file": "digits-demo-eval-y.npy", "dtype": "int64", "shape": [360],
                       "what": "test labels 0..9"},
            "eval_logits": {"file": "digits-demo-eval-logits.npy", "dtype": "float32", "shape": [360, 10],
                            "what": "torch FP32 logits of the model on eval_x (the reference)"},
            "calib": {"folder": "digits-demo-calib", "files": f"sample_000.npy..sample_{N_CALIB - 1:03d}.npy",
                      "dtype": "float32", "shape": [1, 1, 8, 8],
                      "what": f"{N_CALIB} TRAIN-split images for INT8 calibration, "
                              f"numpy.random.default_rng({SEED}).choice(1437, {N_CALIB}, replace=False), sorted",
                      "train_positions": [int(p) for p in calib_pos],
                      "dataset_indices": [int(idx_train[p]) for p in calib_pos]},
        },
        "reference_logits": {
            "input": "digits-demo-eval-x.npy",
            "first_rows": [[float(v) for v in row] for row in logits_torch[:2]],
            "first_rows_labels": [int(v) for v in y_te[:2]],
            "sum": float(logits_torch.astype(np.float64).sum()),
            "sum_abs": float(np.abs(logits_torch.astype(np.float64)).sum()),
            "argmax_sha256": hashlib.sha256(pred.astype("<i8").tobytes()).hexdigest(),
            "argmax_sha256_note": "sha256 of the 360 predicted classes as little-endian int64",
            "suggested_tolerance": TOLERANCE,
        },
    }
    with open(os.path.join(out, "digits-demo.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {out} (model {os.path.getsize(onnx_path)} bytes, {params} parameters)")


if __name__ == "__main__":
    main()
