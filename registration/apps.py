from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = "Client Registration"

    def ready(self) -> None:
        from registration import checks  # noqa: F401  (registers the system checks)
