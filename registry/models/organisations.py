"""Organisations (holders, banks, the registry itself) and the users who act for them.

Invariants (database): an organisation's USCC is unique and 18 characters long (its check character
is validated by `validate_uscc` at every entry point); `kind` and `role` hold known values only.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from registry.choices import OrganisationKind, Role
from registry.validators import validate_uscc

models.CharField.register_lookup(Length)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_uscc],
        help_text=_("18 characters, GB 32100-2015; the last one is a check character."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(uscc__length=18), name="organisation_uscc_length"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="organisation_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class User(AbstractUser):
    """A person acting for an organisation in one role; superusers need neither."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(role__in=Role.values),
                name="user_role_valid",
            ),
            # A role always speaks for an organisation.
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(organisation__isnull=False),
                name="user_role_needs_organisation",
            ),
        ]

    @property
    def is_registrar(self) -> bool:
        return self.is_active and (self.role == Role.REGISTRAR or self.is_superuser)

    def acts_for(self, organisation_id: int | None) -> bool:
        return (
            self.is_active
            and organisation_id is not None
            and self.organisation_id == organisation_id
        )

    @property
    def label(self) -> str:
        org = f" @ {self.organisation.name}" if self.organisation is not None else ""
        return f"{self.get_username()}{org}"
