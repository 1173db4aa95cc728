"""Self-signed certificates for tests that serve https on 127.0.0.1."""

import shutil
import subprocess
from pathlib import Path

import pytest


def self_signed(folder: Path, *names: str) -> tuple[str, str]:
    """A certificate and its key, in `folder`, for the DNS `names` (the first is its CN)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    alternatives = ",".join(f"DNS:{name}" for name in names)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", f"/CN={names[0]}", "-keyout", key, "-out", cert]
        + ["-addext", f"subjectAltName={alternatives}"],
        check=True,
        capture_output=True,
    )
    return cert, key
