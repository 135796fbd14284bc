"""Edge settings as a user gives them: flags, config file, environment; every mistake one line, exit 2."""

import subprocess
import sys

import pytest

from vgv_live.cli import build_parser, config_from_args, main
from vgv_live.config import ConfigError, LiveConfig
from vgv_live.edge.addresses import http_address, mqtt_address, without_credentials
from live_support import REPO, cli_env

TOKEN = "t0ken-with-enough-characters"


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vgv-live: error: "), lines
    return lines[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--http-token", TOKEN], "--http-token is a secret and is never taken from the command line"),
        (["--mqtt-password", "pw"], "set VGV_MQTT_PASSWORD or mqtt_password in the --config file"),
        (["--mqtt-user", "me"], "set VGV_MQTT_USER or mqtt_user in the --config file"),
        (["--http", "0.0.0.0:8080"], "--http 0.0.0.0:8080 is reachable from other machines: set VGV_HTTP_TOKEN"),
        (["--http", "192.0.2.7:8080"], "reachable from other machines"),
        (["--http", "camera-box.local:8080"], "reachable from other machines"),
        (["--http", "8080"], "expected HOST:PORT"),
        (["--http", "127.0.0.1:70000"], "port out of range"),
        (["--mqtt", "http://127.0.0.1:1883"], "expected mqtt://HOST:PORT or mqtts://HOST:PORT"),
        (["--mqtt", "mqtt://me:secret@127.0.0.1"], "no user or password in the URL"),
        (["--mqtt", "mqtt://127.0.0.1:1883/topic"], "a broker URL has no path"),
        (["--mqtt", "mqtt://127.0.0.1", "--mqtt-prefix", "vgv/#"], "without '+', '#'"),
        (["--mqtt", "mqtt://127.0.0.1", "--mqtt-buffer", "0"], "argument --mqtt-buffer: must be at least 1"),
        (["--mqtt", "mqtt://127.0.0.1", "--mqtt-ca", "ca.pem"], "mqtt_ca is for an mqtts:// broker"),
        (["--keep-days", "3"], "keep_days and keep_gb need an events folder"),
        (["--keep-gb", "-1", "--events", "."], "argument --keep-gb: must be above 0"),
        (["--stream-fps", "nan", "--http", "127.0.0.1:0"], "argument --stream-fps: must be a finite number"),
    ],
)
def test_bad_edge_settings_are_one_line_and_exit_2(args, message, two_second_video, capsys):
    assert main([str(two_second_video), "--headless", *args]) == 2
    assert message in one_error_line(capsys)


def test_edge_options_need_headless(two_second_video, capsys):
    assert main([str(two_second_video), "--http", "127.0.0.1:0"]) == 2
    assert "--http: edge operations run with --headless" in one_error_line(capsys)


def test_secrets_come_from_the_environment_over_the_config_file(tmp_path, monkeypatch):
    config = tmp_path / "live.toml"
    config.write_text(f'http_token = "{"f" * 20}"\nmqtt_user = "bay"\nmqtt_password = "from-file"\n')
    monkeypatch.setenv("VGV_MQTT_PASSWORD", "from-env")
    monkeypatch.setenv("VGV_HTTP_TOKEN", "")  # empty counts as unset
    settings = config_from_args(build_parser().parse_args(["--headless", "--config", str(config)]))
    assert (settings.http_token, settings.mqtt_user, settings.mqtt_password) == ("f" * 20, "bay", "from-env")
    assert "from-env" not in repr(settings) and "f" * 20 not in repr(settings)


def test_a_token_opens_a_non_loopback_address_and_must_be_long(monkeypatch):
    assert LiveConfig(headless=True, http="0.0.0.0:8080", http_token="x" * 16).http == "0.0.0.0:8080"  # not bound
    with pytest.raises(ConfigError, match="http_token must be at least 16"):
        LiveConfig(headless=True, http="127.0.0.1:8080", http_token="short")
    with pytest.raises(ConfigError, match="mqtt_password needs mqtt_user"):
        LiveConfig(headless=True, mqtt="mqtt://127.0.0.1", mqtt_password="pw")


def test_addresses():
    assert mqtt_address("mqtts://broker.lan", "x").port == 8883 and mqtt_address("mqtt://b:1884", "x").port == 1884
    assert http_address("[::1]:9000", "x").loopback and http_address("localhost:1", "x").loopback
    assert not http_address("0.0.0.0:1", "x").loopback
    assert without_credentials("rtsp://admin:pw@10.0.0.5:554/s") == "rtsp://***@10.0.0.5:554/s"
    assert without_credentials("rtsp://10.0.0.5/s") == "rtsp://10.0.0.5/s"


@pytest.mark.parametrize("flag, module", [("--mqtt", "paho"), ("--http", "prometheus_client")])
def test_without_the_edge_extra_the_flag_says_how_to_install_it(flag, module, two_second_video):
    value = "mqtt://127.0.0.1:1" if flag == "--mqtt" else "127.0.0.1:0"
    code = (f"import sys; sys.modules[{module!r}] = None; from vgv_live.cli import main; "
            f"sys.exit(main([{str(two_second_video)!r}, '--headless', {flag!r}, {value!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=REPO,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"vgv-live: error: {flag} needs {'paho-mqtt' if flag == '--mqtt' else 'prometheus_client'}: "
        "pip install 'videogradvis-live[edge]'"]


def test_a_port_in_use_is_one_line_before_the_model_loads(two_second_video, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main([str(two_second_video), "--headless", "--model", "no_such_arch", "--http", f"127.0.0.1:{port}"]) == 2
    assert f"--http 127.0.0.1:{port}: cannot listen there" in one_error_line(capsys)


def test_an_output_may_not_overwrite_the_brokers_ca(two_second_video, tmp_path, capsys):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    assert main([str(two_second_video), "--headless", "--mqtt", "mqtts://127.0.0.1", "--mqtt-ca", str(ca),
                 "--jsonl", str(ca)]) == 2
    assert f"--jsonl {ca}" in one_error_line(capsys) and ca.read_text() == "-----BEGIN CERTIFICATE-----\n"


def test_a_ca_file_that_is_no_certificate_is_one_line(two_second_video, tmp_path, capsys):
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate\n")
    assert main([str(two_second_video), "--headless", "--mqtt", "mqtts://127.0.0.1", "--mqtt-ca", str(ca)]) == 2
    assert f"--mqtt-ca {ca}: cannot use it" in one_error_line(capsys)
