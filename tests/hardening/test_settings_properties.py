"""Property-based: whatever value any option or settings key is given, the answer is a valid
setting or one clear line (SettingError family, exit 2) — never a traceback.

Each property runs HYPOTHESIS_EXAMPLES generated cases (no model loads: the validation
layer alone is exercised, so the whole module runs in seconds)."""

from __future__ import annotations

import json
import math
from dataclasses import fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgv_core.commands import explain as explain_command
from vgv_core.errors import VGVError
from vgv_core.exits import OneLineParser
from vgv_core.models.spec import ModelSpec
from vgv_core.regions import parse_regions
from vgv_live.cli import build_parser as live_parser
from vgv_live.cli import config_from_args
from vgv_live.config import LiveConfig, merge

HYPOTHESIS_EXAMPLES = 60
SETTINGS = settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LABELS = ("all_off", "left_blinker", "right_blinker")

odd_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**30, max_value=10**30),
    st.sampled_from([0, -1, 1e308, -0.0, 1e-320]),
)
odd_text = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "nan", "inf", "-inf", "1e999", "0x10", "--x",
                                                              "\x00", "1,5", "١٢"]))
any_json = st.recursive(
    st.one_of(st.none(), st.booleans(), odd_numbers, st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=10,
)


def one_line(error: BaseException) -> None:
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text, text


LIVE_NUMERIC_FLAGS = ["--threads", "--hop", "--map-size", "--batch", "--open-timeout", "--stale-timeout",
                      "--backoff-max", "--ring-frames", "--duration", "--hysteresis", "--pre-roll", "--post-roll",
                      "--snapshot-every", "--stats-every", "--alpha", "--mqtt-buffer", "--stream-fps", "--keep-days",
                      "--keep-gb"]


@pytest.mark.parametrize("flag", LIVE_NUMERIC_FLAGS)
@SETTINGS
@given(value=st.one_of(odd_numbers.map(str), odd_text))
def test_every_numeric_vgv_live_flag_is_a_valid_setting_or_one_line(flag, value, capsys):
    parsed = live_parser().parse_or_exit_code(["demo.mp4", "--headless", flag, value])
    if isinstance(parsed, int):
        err = capsys.readouterr().err
        assert parsed == 2 and err.count("\n") == 1 and flag in err and "Traceback" not in err
        return
    try:
        config = config_from_args(parsed)
    except VGVError as exc:
        one_line(exc)
        return
    number = getattr(config, flag[2:].replace("-", "_"))
    assert math.isfinite(number)


EXPLAIN_NUMERIC_FLAGS = ["--num-classes", "--clip-len", "--input-size", "--hop", "--batch", "--start", "--end",
                         "--max-frames", "--alpha", "--gif-width", "--threads"]


def explain_parser() -> OneLineParser:
    parser = OneLineParser(prog="vgv explain")
    explain_command.add_arguments(parser)
    return parser


@pytest.mark.parametrize("flag", EXPLAIN_NUMERIC_FLAGS)
@SETTINGS
@given(value=st.one_of(odd_numbers.map(str), odd_text))
def test_every_numeric_vgv_explain_flag_is_valid_or_one_line(flag, value, capsys):
    parsed = explain_parser().parse_or_exit_code(["in.mp4", "--csv", "out.csv", flag, value])
    if isinstance(parsed, int):
        err = capsys.readouterr().err
        assert parsed == 2 and err.count("\n") == 1 and flag in err and "Traceback" not in err
        return
    assert math.isfinite(getattr(parsed, flag[2:].replace("-", "_")))


@SETTINGS
@given(key=st.sampled_from([f.name for f in fields(LiveConfig)]), value=any_json)
def test_every_settings_file_key_is_a_valid_setting_or_one_line(key, value):
    try:
        config = merge({key: value}, {})
    except VGVError as exc:
        one_line(exc)
        return
    assert getattr(config, key) == value or key == "thresholds"


SPEC_BASE = {"arch": "x3d_xs", "num_classes": 3}


@SETTINGS
@given(key=st.sampled_from([f.name for f in fields(ModelSpec)]), value=any_json)
def test_every_model_spec_key_is_valid_or_one_line(key, value, tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "spec.json"
    path.write_text(json.dumps({**SPEC_BASE, key: value}))
    try:
        ModelSpec.from_json(path)
    except VGVError as exc:
        one_line(exc)


@SETTINGS
@given(document=any_json)
def test_a_settings_or_spec_document_of_any_shape_is_one_line(document, tmp_path_factory):
    folder = tmp_path_factory.mktemp("doc")
    (folder / "spec.json").write_text(json.dumps(document))
    with pytest.raises(VGVError) as error:
        ModelSpec.from_json(folder / "spec.json")
    one_line(error.value)


@SETTINGS
@given(regions=st.dictionaries(st.text(max_size=5), any_json, max_size=3), expect=any_json, limit=any_json)
def test_every_regions_document_is_valid_or_one_line(regions, expect, limit):
    try:
        parsed = parse_regions({"regions": regions, "expect": expect, "limit": limit}, LABELS)
    except VGVError as exc:
        one_line(exc)
        return
    assert 0 <= parsed.limit <= 1 and set(parsed.expect) <= set(LABELS)
