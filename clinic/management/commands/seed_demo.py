from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from clinic import demo, roles
from clinic.models import Client
from clinic.two_factor import secret_for_display


class Command(BaseCommand):
    help = "Create the demo logins (one per role) and about 30 demo clients."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has clients.",
        )
        parser.add_argument("--logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--code",
            metavar="USERNAME",
            help="Only print the current two-factor code of a demo login's demo authenticator.",
        )

    def handle(self, *args, **options):
        if options["logins"]:
            self.print_logins()
            return
        if options["code"]:
            self.print_code(options["code"])
            return
        if options["if_empty"] and Client.objects.exists():
            self.stdout.write("Demo data: the database already has clients; left as it is.")
            return
        result = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({result['clients']} new clients)."))

    def print_logins(self):
        self.stdout.write(f"  Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        keys = []
        for login in demo.DEMO_LOGINS:
            self.stdout.write(f"    {login.username:<12} {login.role}")
            device = demo.demo_device(login.username)
            if device is not None:
                keys.append((login.username, secret_for_display(device)))
            elif login.role == roles.CLINIC_ADMIN:
                self.stdout.write(
                    "      (sets up an authenticator app for two-factor login at first login)"
                )
        for username, key in keys:
            self.stdout.write(
                f"  {username} also needs a 6-digit code: add the key {key} to an authenticator "
                f"app (time-based), or run `.venv/bin/python manage.py seed_demo --code "
                f"{username}`."
            )

    def print_code(self, username: str):
        device = demo.demo_device(username)
        if device is None:
            raise CommandError(f"{username} has no demo authenticator (only demo logins do).")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
