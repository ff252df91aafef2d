"""The `csrtool` console script: Django's management commands with settings preset."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csrtool.settings")
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("CSRTOOL_DEMO", "true")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["csrtool", *argv[1:]])
    except ImproperlyConfigured as e:
        sys.stderr.write(f"csrtool: {e}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
