from django.core.management.base import BaseCommand

from clinic import demo
from clinic.models import Client


class Command(BaseCommand):
    help = "Create the demo logins (one per role) and about 30 demo clients."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has clients.",
        )
        parser.add_argument("--logins", action="store_true", help="Only print the demo logins.")

    def handle(self, *args, **options):
        if options["logins"]:
            self.print_logins()
            return
        if options["if_empty"] and Client.objects.exists():
            self.stdout.write("Demo data: the database already has clients; left as it is.")
            return
        result = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({result['clients']} new clients)."))

    def print_logins(self):
        self.stdout.write(f"  Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in demo.DEMO_LOGINS:
            self.stdout.write(f"    {login.username:<12} {login.role}")
