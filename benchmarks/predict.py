"""Tagging speed: ilner against the paper's loop and the transformers pipeline, on one machine, in one run.

Usage: ILNER_DATA_DIR=../shared/datasets python benchmarks/predict.py [--shape base|tiny] [--sentences 300]

On the same model and the same IL-NER Hindi test sentences it times:
  (a) the paper's loop: one sentence at a time, first sub-word labels;
  (b) transformers pipeline("token-classification", aggregation_strategy="first", batch_size=32);
  (c) ilner PyTorch fp32, (c') ilner PyTorch bf16 autocast;
  (d) ilner ONNX Runtime fp32, (e) ilner ONNX Runtime int8 (dynamic quantisation);
and prints words/s and the ratio to (b). ``--shape base`` builds an XLM-R-base-shaped model
(12 layers, hidden 768; random weights: speed does not depend on them) with a tokenizer trained on
the corpus; ``--shape tiny`` a small one. The machine's matrix-multiply peak (fp32 and bf16) is
measured too and turned into the words/s limit for the model, to show how close each path gets.
The tags of (c), (d), (e) are compared with (c) so that speed is never bought with other output.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ilner.data import load_corpora
from ilner.inference.onnx import export_onnx
from ilner.inference.tagger import Tagger
from ilner.models.scratch import ScratchSpec, build_scratch_model

SHAPES = {
    "base": ScratchSpec(vocab_size=8000, hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072),
    "tiny": ScratchSpec(vocab_size=8000, hidden_size=128, num_layers=2, num_heads=2, intermediate_size=512),
}


def matmul_peak(dtype: torch.dtype, size: int = 2048, repeat: int = 5) -> float:
    """Measured FLOP/s of a square matrix product in ``dtype`` on all threads."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def paper_loop(model, tokenizer, sentences) -> list[list[str]]:
    """One sentence per forward pass, labels from each word's first sub-word (the paper's script)."""
    labels = model.config.id2label
    out = []
    with torch.no_grad():
        for words in sentences:
            encoded = tokenizer(list(words), is_split_into_words=True, return_tensors="pt", truncation=True)
            predicted = model(**encoded).logits[0].argmax(-1).tolist()
            tags, seen = ["O"] * len(words), set()
            for position, word in enumerate(encoded.word_ids()):
                if word is not None and word not in seen:
                    seen.add(word)
                    tags[word] = labels[predicted[position]]
            out.append(tags)
    return out


def hf_pipeline(model, tokenizer, sentences) -> None:
    import warnings

    from transformers import pipeline

    ner = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first", device=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ner([" ".join(words) for words in sentences], batch_size=32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=SHAPES, default="base")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from ilner.models.loading import quiet_transformers

    quiet_transformers()
    [(_, train)] = load_corpora(["il-ner:hindi:train"])
    [(_, test)] = load_corpora(["il-ner:hindi:test"])
    sentences = [s.tokens for s in test.sentences[: args.sentences]]
    words = sum(map(len, sentences))
    labels = ["O"] + [f"{p}-{t}" for t in ("NEP", "NEL", "NEO", "NEAR", "NETI", "NEN") for p in "BI"]
    spec = SHAPES[args.shape]
    workdir = Path(tempfile.mkdtemp(prefix="ilner-bench-"))
    model_dir = build_scratch_model(workdir / "model", (" ".join(s.tokens) for s in train), labels=labels, spec=spec)
    export_onnx(model_dir, int8=True)
    model = AutoModelForTokenClassification.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    encoded = tokenizer([list(s) for s in sentences], is_split_into_words=True, add_special_tokens=False)
    pieces = sum(map(len, encoded["input_ids"]))
    layer_params = sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)
    flops_per_word = 2 * layer_params * pieces / words  # forward pass, attention scores aside
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"{args.shape}-shaped model: {layer_params / 1e6:.1f}M parameters outside embeddings; "
          f"{len(sentences)} Hindi test sentences, {words} words, {pieces / words:.2f} pieces per word; "
          f"{torch.get_num_threads()} threads")
    for name, peak in peaks.items():
        print(f"matmul peak {name}: {peak / 1e9:.0f} GFLOP/s -> limit {peak / flops_per_word:,.0f} words/s")

    def timed(run) -> tuple[float, object]:
        run(sentences[:16])  # warm-up
        start = time.perf_counter()
        result = run(sentences)
        return time.perf_counter() - start, result

    results: dict[str, float] = {}
    outputs: dict[str, list] = {}
    seconds, _ = timed(lambda batch: paper_loop(model, tokenizer, batch))
    results["(a) paper loop, one sentence at a time"] = seconds
    seconds, _ = timed(lambda batch: hf_pipeline(model, tokenizer, batch))
    results["(b) transformers pipeline, batch 32"] = seconds
    for key, backend in (("(c) ilner PyTorch fp32", "torch"), ("(c') ilner PyTorch bf16 autocast", "torch-bf16"),
                         ("(d) ilner ONNX Runtime fp32", "onnx"), ("(e) ilner ONNX Runtime int8", "onnx-int8")):
        tagger = Tagger.load(model_dir, backend=backend, batch_size=args.batch_size)
        seconds, tagged = timed(tagger.tag_tokens)
        results[key] = seconds
        outputs[key] = [t.tags for t in tagged]
    reference = outputs["(c) ilner PyTorch fp32"]
    pipeline_speed = words / results["(b) transformers pipeline, batch 32"]
    print("\n| path | words/s | x pipeline | sentences tagged as (c) |\n|---|---|---|---|")
    for key, seconds in results.items():
        same = f"{np.mean([a == b for a, b in zip(outputs[key], reference)]):.1%}" if key in outputs else ""
        print(f"| {key} | {words / seconds:,.0f} | {words / seconds / pipeline_speed:.2f} | {same} |")


if __name__ == "__main__":
    main()
