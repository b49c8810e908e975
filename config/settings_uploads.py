"""Uploaded files: the allowed types and size limit of each kind of upload (`core.uploads`), and
the URL their links point to. Imported at the end of `config/settings.py`.

Types are keys of `core.uploads.TYPES`: pdf, png, jpeg, xlsx, zip, parquet, text (CSV, TSV, TXT
or JSON; UTF-8 or GBK). The sample's limit is `REGISTRY_SAMPLE_MAX_BYTES` (config/settings.py).
"""

import environ

env = environ.Env()

UPLOAD_SAMPLE_TYPES = env.list(
    "UPLOAD_SAMPLE_TYPES", default=["text", "xlsx", "zip", "parquet", "pdf"]
)
UPLOAD_PROOF_TYPES = env.list("UPLOAD_PROOF_TYPES", default=["pdf", "png", "jpeg", "text"])
UPLOAD_PROOF_MAX_BYTES = env.int("UPLOAD_PROOF_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_EVIDENCE_TYPES = env.list("UPLOAD_EVIDENCE_TYPES", default=["pdf", "jpeg", "png"])
UPLOAD_EVIDENCE_MAX_BYTES = env.int("UPLOAD_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)

# Uploaded and generated files are never served as static files, in DEBUG or not: every link a
# FieldFile makes (`.url`, the admin's "Currently:" links) points to the permission-checked
# download view (portal/downloads.py), which answers 404 to anyone who may not have the file.
MEDIA_URL = "/portal/files/"
