"""Digital signatures for certificate PDFs (PAdES baseline B-B via pyHanko).

The registry signs every certificate PDF it issues with an invisible PAdES signature added as an
incremental update, and anyone holding the registry certificate can check a PDF with
:func:`verify_pdf`.

* :mod:`.identity`: :class:`SigningIdentity` (key and certificate files), :func:`load_signer`,
  the demo identity (:func:`ensure_demo_identity`), :func:`identity_from_settings`, trust roots
  and the package's exceptions.
* :mod:`.sign`: :func:`sign_pdf` and :func:`sha256_hex` (document hashes).
* :mod:`.verify`: :func:`verify_pdf` and its result, :class:`SignatureCheck`.
* :mod:`.common`: helpers shared by signing and verifying.

Importing this package loads pyHanko (as the former single module did); callers that must stay
light import it inside the function that needs it (see ``certificates.verification``).
"""

from certificates.signing.identity import (
    CertificateSigningError,
    SigningConfigurationError,
    SigningIdentity,
    ensure_demo_identity,
    identity_from_settings,
    load_signer,
)
from certificates.signing.sign import sha256_hex, sign_pdf
from certificates.signing.verify import SignatureCheck, verify_pdf

__all__ = [
    "CertificateSigningError",
    "SignatureCheck",
    "SigningConfigurationError",
    "SigningIdentity",
    "ensure_demo_identity",
    "identity_from_settings",
    "load_signer",
    "sha256_hex",
    "sign_pdf",
    "verify_pdf",
]
