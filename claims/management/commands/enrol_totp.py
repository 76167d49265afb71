"""Give a staff account its TOTP device: the second factor of the support workspace's login."""

import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Enrol a staff account for TOTP sign-in: prints the otpauth:// link and its QR code once, for the "
        "agent to scan into an authenticator app. --replace gives a new key to an account that has one."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="Replace the account's existing device.")

    def handle(self, *args, username: str, replace: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account {username!r}.")
        if not user.is_staff:
            raise CommandError(f"{username!r} is not a staff account: only staff sign in to the workspace.")
        with transaction.atomic():
            devices = TOTPDevice.objects.filter(user=user)
            if devices.exists() and not replace:
                raise CommandError(f"{username!r} has a TOTP device already: --replace gives it a new key.")
            devices.delete()
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        qr = qrcode.QRCode(border=1)
        qr.add_data(device.config_url)
        picture = io.StringIO()
        qr.print_ascii(out=picture, invert=True)
        self.stdout.write(picture.getvalue())
        self.stdout.write(f"otpauth: {device.config_url}")
        self.stdout.write(
            f"{username} now signs in with a 6-digit code from the authenticator app. The key is shown "
            "only this once: give it to the agent alone."
        )
