"""Journal event types of the certificate engine (written through `certificates.ports`)."""

CERTIFICATE_ISSUED = "certificate.issued"
CERTIFICATE_SUPERSEDED = "certificate.superseded"
CERTIFICATE_REVOKED = "certificate.revoked"
CERTIFICATE_RENDERED = "certificate.rendered"
