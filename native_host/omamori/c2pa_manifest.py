"""A C2PA manifest for the ``--for web`` output saying "no AI training", signed with the user's own certificate.

The manifest carries CAWG's training-and-data-mining assertion (``cawg.training-mining``,
CAWG 1.1, 2025-05; it replaced C2PA 1.x's ``c2pa.training-mining``) with all four uses
``notAllowed`` -- data mining, AI inference, generative AI training, AI training -- and the
``c2pa.created`` action C2PA 2 requires first. It is built, signed and read by the C2PA
project's own library (``c2pa-python``, the Rust SDK underneath); no embedded thumbnail, so
the file holds no second copy of the picture.

The signing certificate is made for the user on first use (ECDSA P-256: a small certificate
authority of their own and a signing certificate it issued; C2PA refuses a self-signed
signing certificate), kept owner-only in the config folder. It is on no public trust list,
so validators call the signature valid but its signer untrusted; ``read`` tells the user's
own certificate apart by its authority.

X, Instagram, Threads and Bluesky strip C2PA manifests (and all other metadata) from what
they serve; it stays with the file on the user's own website and on sites that keep
Content Credentials (docs/measures.md).
"""
from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import __version__
from .atomic import write_atomic
from .catalog import Message
from .errors import StateError

TRAINING_MINING = "cawg.training-mining"
USES = ("cawg.data_mining", "cawg.ai_inference", "cawg.ai_generative_training", "cawg.ai_training")
NOT_ALLOWED = "notAllowed"
DIGITAL_CREATION = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"
CERTIFICATE_YEARS = 10
_FILES = {"authority": "authority.pem", "chain": "signer.pem", "key": "signer.key"}
_MIME = {"jpeg": "image/jpeg", "png": "image/png"}
_NO_THUMBNAIL = {"builder": {"thumbnail": {"enabled": False}}}


@dataclass(frozen=True)
class Identity:
    """The user's signing certificate chain (signer first), its private key and the authority that issued it
    (all PEM)."""

    chain: bytes
    key: bytes
    authority: bytes

    @property
    def name(self) -> str:
        certificate = x509.load_pem_x509_certificate(self.chain)
        return certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def load_identity(folder: Path) -> Identity | None:
    """The identity kept in ``folder``, or None when none was made yet. Raises ``StateError`` when it is
    damaged (``c2pa_identity_unreadable``)."""
    paths = {part: folder / name for part, name in _FILES.items()}
    if not any(path.exists() for path in paths.values()):
        return None
    try:
        identity = Identity(**{part: path.read_bytes() for part, path in paths.items()})
        x509.load_pem_x509_certificate(identity.chain)
        x509.load_pem_x509_certificate(identity.authority)
        serialization.load_pem_private_key(identity.key, password=None)
    except (OSError, ValueError) as error:
        raise StateError("c2pa_identity_unreadable", path=str(folder)) from error
    return identity


def load_or_create_identity(folder: Path, *, name: str, now: datetime.datetime) -> Identity:
    """The user's identity in ``folder``, made on first use with ``name`` as the signer's common name."""
    identity = load_identity(folder)
    if identity is None:
        identity = create_identity(name=name, now=now)
        write_atomic(folder / _FILES["authority"], identity.authority, mode=0o644)
        write_atomic(folder / _FILES["chain"], identity.chain, mode=0o644)
        write_atomic(folder / _FILES["key"], identity.key, mode=0o600)
    return identity


def create_identity(*, name: str, now: datetime.datetime) -> Identity:
    """A new certificate authority for ``name`` and a signing certificate it issued, valid from ``now``
    (timezone-aware) for CERTIFICATE_YEARS years. Extensions as C2PA's certificate profile asks: the signer has
    digitalSignature and the emailProtection purpose, the authority may sign certificates only."""
    subject_name = (name.strip() or "omamori user")[:64]
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=365 * CERTIFICATE_YEARS)

    def distinguished(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "omamori (made on this computer)")])

    def usage(*, sign: bool, certify: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=certify, crl_sign=certify,
                             encipher_only=False, decipher_only=False)

    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority = (
        x509.CertificateBuilder().subject_name(distinguished(f"{subject_name} (omamori authority)"))
        .issuer_name(distinguished(f"{subject_name} (omamori authority)"))
        .public_key(authority_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=False, certify=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(authority_key.public_key()), critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder().subject_name(distinguished(subject_name)).issuer_name(authority.subject)
        .public_key(signer_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, certify=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
                       critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Identity(
        chain=signer.public_bytes(pem) + authority.public_bytes(pem),
        key=signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        authority=authority.public_bytes(pem),
    )


def describe(identity: Identity) -> tuple[Message, dict]:
    """What ``sign`` adds, for the protect report: (the sentence, details)."""
    return (Message("report.c2pa.signed", {"signer": identity.name}),
            {"assertion": TRAINING_MINING, "uses": {use: NOT_ALLOWED for use in USES}, "signer": identity.name})


def manifest_definition(*, title: str) -> dict:
    """The manifest omamori signs: the CAWG training-and-data-mining assertion, every use ``notAllowed``."""
    return {
        "claim_generator_info": [{"name": "omamori", "version": __version__}],
        "title": title,
        "assertions": [
            {"label": TRAINING_MINING, "data": {"entries": {use: {"use": NOT_ALLOWED} for use in USES}}},
            {"label": "c2pa.actions",
             "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": DIGITAL_CREATION}]}},
        ],
    }


def sign(data: bytes, *, format: str, identity: Identity, title: str) -> bytes:
    """``data`` (a JPEG or PNG, ``format`` "jpeg" | "png") with the signed manifest embedded; the rest of the file
    (pixels, XMP, IPTC) is kept, and the manifest's hash binds it."""
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, identity.chain, identity.key,
                                                       None))
    signed = io.BytesIO()
    with c2pa.Context.from_dict(_NO_THUMBNAIL) as context, \
            c2pa.Builder(manifest_definition(title=title), context=context) as builder:
        builder.sign(signer, _MIME[format], io.BytesIO(data), signed)
    signer.close()
    return signed.getvalue()


def read(data: bytes, *, own_authority: bytes | None = None) -> dict | None:
    """What a file's C2PA manifest says about AI use, or None when it carries none (or one that cannot be read).

    ``{"valid": bool, "state": "Invalid" | "Valid" | "Trusted", "failures": [codes], "signer": common name,
    "yours": bool, "uses": {use: allowed | notAllowed | constrained}, "ai_training_prohibited": bool | None}``.
    ``valid``: the file is unchanged since signing and the manifest is well-formed (an untrusted signer, which
    every self-made certificate is, does not count against it). ``yours``: signed by a certificate that
    ``own_authority`` (PEM) issued.
    """
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8") else None
    if mime is None:
        return None
    settings = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": own_authority.decode("ascii")}} \
        if own_authority else {}
    try:
        with c2pa.Context.from_dict(settings) as context, c2pa.Reader(mime, io.BytesIO(data), context=context) as reader:
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
            manifest = reader.get_active_manifest() or {}
    except c2pa.C2paError:
        return None
    failures = [item["code"] for item in results.get("activeManifest", {}).get("failure", [])]
    uses = {}
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") in (TRAINING_MINING, "c2pa.training-mining"):
            for use, entry in (assertion.get("data", {}).get("entries") or {}).items():
                uses[use.replace("c2pa.", "cawg.")] = entry.get("use") if isinstance(entry, dict) else None
    training = [uses.get(use) for use in ("cawg.ai_training", "cawg.ai_generative_training")]
    return {
        "valid": state in ("Valid", "Trusted") and not set(failures) - {"signingCredential.untrusted"},
        "state": state,
        "failures": failures,
        "signer": (manifest.get("signature_info") or {}).get("common_name"),
        "yours": bool(own_authority) and state == "Trusted",
        "uses": uses,
        "ai_training_prohibited": None if not any(training) else all(use == NOT_ALLOWED for use in training),
    }
