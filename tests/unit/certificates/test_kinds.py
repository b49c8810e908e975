"""The certificate engine's table of kinds: every kind has a title, a template and a renderer, and
a kind without one is refused instead of being rendered as another."""

import pytest
from django.template.loader import get_template

from certificates.documents import KINDS, UnknownCertificateKind, build_pdf, kind_spec
from certificates.models import Certificate, CertificateKind


def test_every_kind_has_a_title_a_template_and_a_renderer():
    # given every kind the model allows; then each has its entry and its template exists
    assert set(KINDS) == set(CertificateKind.values)
    for kind in CertificateKind.values:
        spec = kind_spec(kind)
        assert spec.title
        assert get_template(spec.template) is not None
        assert callable(spec.render)
    assert kind_spec(CertificateKind.PLEDGE).title == "质押登记证明"


def test_an_unknown_kind_is_refused_not_rendered_as_another():
    # given a certificate row of a kind the engine does not know
    certificate = Certificate(kind="licence", number="12000000000000000", data={})
    # when / then
    with pytest.raises(UnknownCertificateKind, match="'licence'"):
        build_pdf(certificate)
