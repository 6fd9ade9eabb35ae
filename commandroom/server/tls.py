"""HTTPS for the county server: self-signed certificates and checks of the files given to ``serve``.

``commandroom serve --tls-cert server.crt --tls-key server.key`` serves HTTPS;
workstations then trust that certificate (``ca_file`` in their settings). For a
county without its own CA, :func:`make_self_signed` makes a certificate for the
server's names and addresses; copy the ``.crt`` (never the key) to each
workstation. It uses the ``cryptography`` package when installed, otherwise
the ``openssl`` command.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commandroom.domain.errors import ValidationError


def _split_hosts(hosts: Sequence[str]) -> tuple[list[str], list[str]]:
    names, ips = [], []
    for h in hosts:
        try:
            ipaddress.ip_address(h)
            ips.append(h)
        except ValueError:
            names.append(h)
    return names, ips


def make_self_signed(
    directory: Path | str,
    *,
    hosts: Sequence[str] = ("localhost", "127.0.0.1"),
    common_name: str = "CommandRoom county server",
    days: int = 825,
    name: str = "server",
) -> tuple[Path, Path]:
    """Write ``<name>.crt`` and ``<name>.key`` (EC P-256) into ``directory``; returns their paths.

    The certificate names every host (DNS names and IP addresses) as a subjectAltName,
    so it verifies when a client uses it as its CA file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    try:
        _with_cryptography(cert_path, key_path, hosts, common_name, days)
    except ImportError:
        _with_openssl(cert_path, key_path, hosts, common_name, days)
    key_path.chmod(0o600)
    return cert_path, key_path


def _with_cryptography(cert_path: Path, key_path: Path, hosts: Sequence[str], cn: str, days: int) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    names, ips = _split_hosts(hosts)
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _with_openssl(cert_path: Path, key_path: Path, hosts: Sequence[str], cn: str, days: int) -> None:
    exe = shutil.which("openssl")
    if exe is None:
        raise ValidationError("tls", "neither the 'cryptography' package nor the 'openssl' command is available "
                                     "to make a certificate")
    names, ips = _split_hosts(hosts)
    san = ",".join([f"DNS:{n}" for n in names] + [f"IP:{i}" for i in ips])
    cmd = [
        exe, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key_path), "-out", str(cert_path), "-days", str(days), "-subj", f"/CN={cn}",
        "-addext", f"subjectAltName={san}",
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
        "-addext", "extendedKeyUsage=serverAuth",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - openssl with our own arguments
    if proc.returncode != 0:
        raise ValidationError("tls", f"openssl could not make the certificate: {proc.stderr.strip()}")


def check_files(cert: str | Path, key: str | Path) -> None:
    """Fail early, saying which file is wrong, instead of a uvicorn traceback."""
    for label, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path:
            raise ValidationError(label, "is required for HTTPS (give both --tls-cert and --tls-key)")
        if not Path(path).is_file():
            raise ValidationError(label, f"{path} does not exist")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except ssl.SSLError as exc:
        raise ValidationError("--tls-key", f"{key} does not match {cert} or is not a PEM key: {exc}") from None


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """An SSL context that trusts ``ca_file`` (the county's certificate) or the system's CAs."""
    if ca_file:
        return ssl.create_default_context(cafile=str(ca_file))
    return ssl.create_default_context()


def temporary_cert(hosts: Sequence[str] = ("localhost", "127.0.0.1")) -> tuple[Path, Path]:
    """A self-signed pair in a fresh temporary folder (tests, the embedded demo)."""
    return make_self_signed(Path(tempfile.mkdtemp(prefix="commandroom-tls-")), hosts=hosts)
