from django.core.management.base import BaseCommand, CommandError

from registry.identifiers import IdentifierError, normalise_uscc
from registry.models import Organisation
from registry.services import api_key_issue


class Command(BaseCommand):
    help = "Issue an API key to an organisation. The key is shown once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("uscc", help="The organisation's unified social credit code.")
        parser.add_argument("--name", default="", help="A label for the key (e.g. the system).")

    def handle(self, *args, uscc: str, name: str, **options):
        try:
            code = normalise_uscc(uscc)
        except IdentifierError as exc:
            raise CommandError(str(exc)) from exc
        organisation = Organisation.objects.filter(uscc=code).first()
        if organisation is None:
            raise CommandError(f"No organisation with USCC {code}.")
        _api_key, key = api_key_issue(organisation=organisation, actor=None, name=name)
        self.stdout.write(f"API key for {organisation.name} ({code}): {key}")
        self.stdout.write("Store it now: it cannot be shown again.")
