import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections


def run_server(*, host: str, port: int, workers: int) -> None:
    """Serve the WSGI app with gunicorn's sync workers, one per core by default."""
    from gunicorn.app.base import BaseApplication

    from csrtool.wsgi import application

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("forwarded_allow_ips", "127.0.0.1")
            # gunicorn 27's control socket is one path per user: a second server on
            # the same machine would take it over. csrtool does not use it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return application

    connections.close_all()
    Server().run()


class Command(BaseCommand):
    help = "Apply migrations and serve csrtool with a production-grade WSGI server."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 2,
            help="Web worker processes (default: one per core).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start a background job worker (run `csrtool worker` apart).",
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_worker"]:
            from csrtool.onboarding.background import start_worker_process

            start_worker_process()
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/")
        run_server(
            host=options["host"], port=options["port"], workers=options["workers"]
        )
