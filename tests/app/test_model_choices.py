"""The window's model-dependent choices on the two-pathway and transformer families: the CAM
layers offered, and the methods (attention rollout only for models with attention to read)."""

from vgv_core import load_model
from vgv_core.explain.methods import METHODS
from vgv_live.app.control_panel import ControlPanel
from vgv_live.app.layer_choices import spatial_layers
from tiny_models import save_transformer, slowfast_spec


def test_a_transformer_offers_its_blocks(tmp_path):
    model = load_model(save_transformer(tmp_path, "vivit"), device="cpu")
    blocks = tuple(name for name, module in model.net.named_modules() if type(module).__name__ == "VivitLayer")
    assert spatial_layers(model) == blocks and model.spec.target_layer in blocks


def test_slowfast_offers_its_two_pathway_stages(tmp_path):
    model = load_model(slowfast_spec(tmp_path, reduced=True), device="cpu")
    layers = spatial_layers(model)
    assert {"blocks.0", "blocks.1", "blocks.2", "blocks.3", "blocks.4"} <= set(layers)
    assert "blocks.5" not in layers and "blocks.6" not in layers  # pooled and the head: no feature map


def test_the_method_box_offers_what_the_model_supports_and_keeps_the_choice(qtbot):
    panel = ControlPanel([])
    qtbot.addWidget(panel)
    panel.method.setCurrentText("saliency")
    cnn_methods = tuple(m for m in METHODS if m != "attention_rollout")
    panel.set_model(("a", "b"), ("layer4",), "layer4", cnn_methods)
    assert [panel.method.itemText(i) for i in range(panel.method.count())] == list(cnn_methods)
    assert panel.method.currentText() == "saliency"
    panel.set_model(("a", "b"), ("layer4",), "layer4", METHODS)
    assert panel.method.findText("attention_rollout") >= 0
