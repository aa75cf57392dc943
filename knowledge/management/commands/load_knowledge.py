from django.core.management.base import BaseCommand, CommandError

from knowledge.loader import KnowledgeDataError, load_knowledge


class Command(BaseCommand):
    help = (
        "Load knowledge/data/*.yaml into the database: updates by slug and replaces each "
        "muscle's trigger points, referrals and factor links with the files' version."
    )

    def handle(self, *args, **options):
        try:
            counts = load_knowledge()
        except KnowledgeDataError as error:
            raise CommandError(f"The knowledge files do not check out: {error}") from None
        summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Knowledge base loaded: {summary}."))
