"""The chat's pre-send token meter against boto3's CountTokens.

The real binary runs in a pseudo-terminal (120x40, read through the pyte terminal
emulator) against the session's endpoint. A draft is typed; the meter's count of what
the next turn would send must equal what boto3's count_tokens returns for the same
Converse request. A Nova model, which CountTokens does not serve, shows an estimate.
"""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

import pyte
import pytest

from support import HAIKU45, NOVA_LITE, binary

COLS, ROWS = 120, 40


class Tui:
    def __init__(self, args, home):
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TERM": "xterm-256color",
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            "LANG": "C.UTF-8",
        }
        pid, fd = pty.fork()
        if pid == 0:
            # The size is set before the app starts, so its first frame fits it.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.execve(str(binary()), [str(binary()), *args], env)
        self.pid, self.fd = pid, fd

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                self.stream.feed(data)

    def text(self):
        return "\n".join(self.screen.display)

    def wait_for(self, pattern, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            self.pump(0.1)
            m = re.search(pattern, self.text())
            if m:
                return m
        pytest.fail(f"timed out waiting for {pattern!r}; screen:\n{self.text()}")

    def type(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        try:
            os.write(self.fd, b"\x03")
            self.pump(0.5)
        finally:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)


def meter_tokens(tui, kind):
    m = tui.wait_for(r"next turn\s+(≈?)([\d,]+) tok " + kind)
    return m.group(1), int(m.group(2).replace(",", ""))


def test_the_pre_send_count_is_what_count_tokens_says(endpoint_url, client, tmp_path):
    draft = "How do I reverse a linked list in Rust?"
    system = "Answer like a senior engineer."
    tui = Tui(["--endpoint-url", endpoint_url, "--region", "us-east-1",
               "--model", HAIKU45, "--system", system], tmp_path)
    try:
        tui.wait_for("F1 help")
        tui.type(draft)
        approx, shown = meter_tokens(tui, "exact")
        assert approx == ""
        # The TUI sends a model that needs a profile through the region's one.
        expected = client.count_tokens(
            modelId="us." + HAIKU45,
            input={"converse": {
                "messages": [{"role": "user", "content": [{"text": draft}]}],
                "system": [{"text": system}],
            }},
        )["inputTokens"]
        assert shown == expected
    finally:
        tui.close()


def test_a_nova_model_shows_an_estimate(endpoint_url, tmp_path):
    tui = Tui(["--endpoint-url", endpoint_url, "--region", "us-east-1",
               "--model", NOVA_LITE], tmp_path)
    try:
        tui.wait_for("F1 help")
        tui.type("Summarize the plot of Hamlet in three sentences.")
        approx, shown = meter_tokens(tui, "estimate")
        assert approx == "≈"
        assert shown > 5
    finally:
        tui.close()
