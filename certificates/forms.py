from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class DocumentUploadForm(forms.Form):
    document = forms.FileField(label=_("Certificate PDF to check"))

    def clean_document(self) -> bytes:
        upload = self.cleaned_data["document"]
        if upload.size > settings.CERTIFICATE_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)s bytes.")
                % {"max": settings.CERTIFICATE_UPLOAD_MAX_BYTES}
            )
        return upload.read()
