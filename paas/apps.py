from django.apps import AppConfig


class PaasConfig(AppConfig):
    name = "paas"
    verbose_name = "Berth: teams and access"
