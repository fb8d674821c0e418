"""Client conformance: boto3 against `bedrock-tui serve-local`.

The session fixture starts the real binary (env BEDROCK_TUI_BIN, default
target/debug/bedrock-tui under the repository root) on a free loopback port, reads
the base URL from the first line it prints, and stops it with SIGTERM at the end,
expecting a clean exit.
"""

import pytest

from support import make_client, start_server, stop_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("serve-local"))
    yield srv
    code = stop_server(srv)
    assert code == 0, f"serve-local exited with {code} on SIGTERM"


@pytest.fixture(scope="session")
def endpoint_url(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def client(endpoint_url):
    return make_client(endpoint_url)
