"""The plugin server's in-memory certificate: hand-encoded DER that standard parsers must read back exactly."""

from __future__ import annotations

import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from terraform_provider_tkg.framework import server


def test_private_key_pem_is_pkcs8_of_the_certified_key() -> None:
    certificate = server.generate_certificate()
    cert = x509.load_der_x509_certificate(certificate.cert_der)
    key = serialization.load_pem_private_key(certificate.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, ec.SECP256R1)
    assert certificate.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, spki) == cert.public_key().public_bytes(
        serialization.Encoding.DER, spki
    )
    # Self-signed: the certificate's signature verifies with its own key.
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    assert x509.load_pem_x509_certificate(certificate.cert_pem) == cert


def test_openssl_accepts_the_key_pair_as_a_server_chain() -> None:
    certificate = server.generate_certificate()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server._load_chain_from_memory(context, certificate.cert_pem, certificate.key_pem)  # raises on a mismatch
