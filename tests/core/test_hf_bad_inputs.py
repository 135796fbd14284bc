"""Bad Hugging Face folders, checkpoints that do not fit, and transformers not installed: one clear
error each (the command lines: one stderr line, exit 2)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers

from vgv_core import Explainer, load_model
from vgv_core.errors import CheckpointError, MethodError, ModelError
from tiny_models import save_transformer

INSTALL_HINT = "pip install 'videogradvis-live[hf]'"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return save_transformer(tmp_path_factory.mktemp("videomae"), "videomae")


def _copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    return copy


def test_a_folder_without_config(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelError, match="has no config.json: give a folder written by save_pretrained"):
        load_model(tmp_path)


def test_an_unsupported_model_type_names_the_supported_ones(folder, tmp_path):
    copy = _copy(folder, tmp_path)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    with pytest.raises(ModelError, match="model_type 'bert' .* supported: videomae, timesformer, vivit"):
        load_model(copy)


def test_timesformer_space_only_attention_is_refused(tmp_path):
    folder = save_transformer(tmp_path / "timesformer", "timesformer")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "attention_type": "space_only"}))
    with pytest.raises(ModelError, match="'space_only' is not supported; supported: divided_space_time, joint_space_time"):
        load_model(folder)


def test_a_checkpoint_for_another_class_count_names_the_layer_and_both_shapes(folder, tmp_path):
    other = save_transformer(tmp_path / "five", "videomae", labels=("a", "b", "c", "d", "e"))
    state = transformers.VideoMAEForVideoClassification.from_pretrained(other, local_files_only=True).state_dict()
    torch.save({"state_dict": state}, tmp_path / "five.pt")
    with pytest.raises(CheckpointError, match=r"classifier\.weight: checkpoint \(5, 16\) vs model \(3, 16\)"):
        load_model(folder, checkpoint=tmp_path / "five.pt")


def test_weights_that_do_not_fit_the_config(folder, tmp_path):
    copy = _copy(folder, tmp_path)
    config = json.loads((copy / "config.json").read_text())
    labels = {str(i): f"class {i}" for i in range(5)}
    (copy / "config.json").write_text(json.dumps({**config, "id2label": labels, "label2id": {v: int(k) for k, v in labels.items()}}))
    with pytest.raises(CheckpointError, match=r"classifier\.weight: checkpoint \(3, 16\) vs model \(5, 16\)"):
        load_model(copy)


def test_a_backbone_without_head_needs_num_classes(tmp_path):
    """A pre-training checkpoint (the bare VideoMAEModel) has no head: refused, unless a new one is asked for."""
    save_transformer(tmp_path / "classifier", "videomae")
    backbone = transformers.VideoMAEForVideoClassification.from_pretrained(tmp_path / "classifier").videomae
    backbone.save_pretrained(tmp_path / "backbone")
    shutil.copy(tmp_path / "classifier" / "preprocessor_config.json", tmp_path / "backbone")
    with pytest.raises(CheckpointError, match=r"missing keys .*classifier\.weight.*\(only the classification head"):
        load_model(tmp_path / "backbone")
    assert load_model(tmp_path / "backbone", num_classes=4).net(torch.zeros(1, 3, 4, 32, 32)).shape == (1, 4)


def test_a_folder_without_weights(folder, tmp_path):
    copy = _copy(folder, tmp_path)
    (copy / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="cannot load the weights"):
        load_model(copy)


def test_a_folder_without_its_image_processor(folder, tmp_path):
    copy = _copy(folder, tmp_path)
    (copy / "preprocessor_config.json").unlink()
    with pytest.raises(ModelError, match=r"no preprocessor_config.json .* image_processor.save_pretrained"):
        load_model(copy)


def test_attention_rollout_on_a_cnn_is_refused():
    net = load_model("r3d_18", num_classes=3, device="cpu").net
    with pytest.raises(MethodError, match="attention_rollout reads a transformer's attention .* r3d_18 has none"):
        Explainer(net).explain(torch.randn(1, 3, 8, 32, 32), methods=("gradcam", "attention_rollout"))


# Python started with transformers hidden: sys.modules["transformers"] = None makes every import of it fail.
HIDE_TRANSFORMERS = 'import sys; sys.modules["transformers"] = None\n'


def _without_transformers(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(HIDE_TRANSFORMERS)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(root)])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)


def test_without_transformers_the_library_says_how_to_install(folder, tmp_path):
    script = (
        "from vgv_core import load_model\n"
        "from vgv_core.errors import MissingExtraError\n"
        f"try:\n    load_model({str(folder)!r})\nexcept MissingExtraError as exc:\n    print(exc)\n"
    )
    run = _without_transformers(tmp_path, "-c", script)
    assert run.returncode == 0, run.stderr
    assert INSTALL_HINT in run.stdout


@pytest.mark.parametrize("command", ["vgv explain", "vgv-live --headless"])
def test_without_transformers_the_command_lines_exit_2_with_one_line(folder, tmp_path, command):
    if command == "vgv explain":
        args = ["-m", "vgv_core.cli", "explain", "demo", "--model", str(folder), "-o", str(tmp_path / "out.mp4")]
    else:
        args = ["-m", "vgv_live.cli", "demo", "--headless", "--model", str(folder), "--duration", "1",
                "--jsonl", str(tmp_path / "out.jsonl")]
    run = _without_transformers(tmp_path, *args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and INSTALL_HINT in lines[0] and "Traceback" not in run.stderr, run.stderr
    assert not list(tmp_path.glob("out*")), "nothing is written"
