"""Nothing leaves the machine but requests to the configured Ollama host: a real ``ask`` turn in a
subprocess whose audit hook records every socket connect and name lookup."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

# Installed as sitecustomize.py, so the hook is in place before the app imports anything.
AUDIT_HOOK = """
import json, os, socket, sys

_path = os.environ["NETWORK_AUDIT_LOG"]


def _hook(event, args):
    if event == "socket.connect":
        sock, address = args
        entry = {"event": event, "family": int(sock.family), "address": repr(address)}
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            entry["host"], entry["port"] = address[0], address[1]
    elif event == "socket.getaddrinfo":
        entry = {"event": event, "host": str(args[0]), "port": str(args[1])}
    else:
        return
    with open(_path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


sys.addaudithook(_hook)
"""


def test_an_ask_turn_talks_to_the_ollama_host_only(
    home: Path, ollama_server: OllamaTestServer, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(AUDIT_HOOK)
    audit_log = tmp_path / "network.jsonl"
    env = {key: value for key, value in os.environ.items() if key != "HF_HUB_OFFLINE"}
    env |= {
        "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])]),
        "NETWORK_AUDIT_LOG": str(audit_log),
        "OLLAMA_HOST": ollama_server.url,
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_assistant",
            "ask",
            "--text",
            "What is the capital of France?",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["error"] is None
    events = [json.loads(line) for line in audit_log.read_text().splitlines()]
    port = int(ollama_server.url.rsplit(":", 1)[1])
    connects = [e for e in events if e["event"] == "socket.connect" and "host" in e]
    assert connects, "the turn made no connection at all: the hook did not run"
    assert {(e["host"], e["port"]) for e in connects} == {("127.0.0.1", port)}
    others = [e for e in events if e["event"] == "socket.connect" and "host" not in e]
    assert all(e["family"] == socket.AF_UNIX for e in others), others
    looked_up = {e["host"] for e in events if e["event"] == "socket.getaddrinfo"}
    assert looked_up <= {"127.0.0.1"}, looked_up
