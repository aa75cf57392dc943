from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from clinic.middleware import start_session_clock

        # The session limits count from the moment of login.
        user_logged_in.connect(start_session_clock, dispatch_uid="knotwork_session_clock")
