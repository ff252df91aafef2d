"""The `csrtool` console script: Django's management commands with settings preset."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csrtool.settings")
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("CSRTOOL_DEMO", "true")
        # Links in the demo's emails point at the address it serves on.
        host, port = (
            _option(argv, "--host", "127.0.0.1"),
            _option(argv, "--port", "8000"),
        )
        os.environ.setdefault("CSRTOOL_BASE_URL", f"http://{host}:{port}")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["csrtool", *argv[1:]])
    except ImproperlyConfigured as e:
        sys.stderr.write(f"csrtool: {e}\n")
        sys.exit(2)


def _option(argv: list[str], name: str, default: str) -> str:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


if __name__ == "__main__":
    main()
