"""A test certificate authority, generated per test run: a root, and a signing certificate with
its key per unit as PKCS#12 files (what MOTCUA_SIGNING_KEYS_DIR holds in production)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Authority:
    name: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, name: str = "Motcua Test CA") -> Authority:
        now = dt.datetime.now(dt.UTC)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name, "Motcua tests"))
            .issuer_name(_name(name, "Motcua tests"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(signing=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(name, key, certificate)

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def unit_p12(self, common: str, organisation: str, passphrase: bytes) -> bytes:
        """A signing certificate for a unit, with its key and this authority, as PKCS#12."""
        now = dt.datetime.now(dt.UTC)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common, organisation))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(signing=True), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        return pkcs12.serialize_key_and_certificates(
            common.encode(),
            key,
            certificate,
            [self.certificate],
            serialization.BestAvailableEncryption(passphrase),
        )


def write_keys(
    folder: Path, authority: Authority, units: dict[str, str], passphrase: bytes
) -> tuple[Path, Path]:
    """<folder>/keys/<UNIT>.p12 for each unit code → signer name, and <folder>/roots.pem; returns
    (keys folder, roots file)."""
    keys = folder / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for code, common in units.items():
        (keys / f"{code}.p12").write_bytes(authority.unit_p12(common, "UBND tỉnh An Giang", passphrase))
    roots = folder / "roots.pem"
    roots.write_bytes(authority.pem())
    return keys, roots


def install_keys(app, folder: Path, monkeypatch, units: dict[str, str]) -> Authority:
    """A test authority trusted by the app, and a signing key for each unit code → signer name."""
    authority = Authority.create()
    keys, roots = write_keys(folder, authority, units, b"pw")
    app.config.update(MOTCUA_SIGNING_KEYS_DIR=str(keys), MOTCUA_SIGNING_TRUST_ROOTS=str(roots))
    app.extensions.pop("motcua.signing", None)
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE", "pw")
    return authority


def sign_result(caller, task_id: str) -> dict:
    """The records officer uploads a result PDF on the task and signs it with the unit's key (the
    signed copy's JSON): what makes the result step's `e_result_signed` true."""
    import io

    from service.documents import render_pdf

    uploaded = caller.post(
        f"/api/v1/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(render_pdf("mau-01", {})), "ket-qua.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.json
    signed = caller.post(f"/api/v1/attachments/{uploaded.json['id']}/signature")
    assert signed.status_code == 201, signed.json
    return signed.json
