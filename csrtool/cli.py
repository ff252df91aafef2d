"""The `csrtool` console script: Django's management commands with settings preset."""

import os
import re
import sys

from django.core.management import ManagementUtility, get_commands, load_command_class

# csrtool's own commands, grouped as `csrtool --help` lists them; Django's
# (shell, dbshell, …) follow only with `csrtool help --all`.
COMMAND_GROUPS = [
    ("Start", ["demo", "serve", "worker", "migrate", "health"]),
    ("Backups", ["backup", "restore"]),
    (
        "Enterprise accounts",
        ["subscribers", "onboarding", "sendpasswordreset", "signinlock"],
    ),
    ("Numbers and features", ["numbers", "features"]),
    (
        "Partners, staff and API keys",
        [
            "createpartner",
            "partner",
            "partnerlogo",
            "createstaff",
            "staff",
            "apikeys",
            "emailtemplates",
        ],
    ),
    ("Events and webhooks", ["events", "webhooks"]),
]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    for position, arg in enumerate(argv[1:], start=1):
        # Undecodable bytes arrive as lone surrogates; neither they nor control
        # characters are anything a person means to type.
        from csrtool.validation import refused_character

        reason = refused_character(arg)
        if reason:
            sys.stderr.write(f"csrtool: argument {position} {reason}.\n")
            sys.exit(2)
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

    utility = Utility(["csrtool", *argv[1:]])
    try:
        utility.execute()
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


def _summary(name: str, app: str, width: int = 58) -> str:
    """The first sentence of a command's help, without asides, fit to one line."""
    text = (load_command_class(app, name).help or "").split(". ")[0].rstrip(".")
    text = re.sub(r"\s*\([^)]*\)", "", text)
    if len(text) > width:
        text = text[: text.rfind(" ", 0, width)].rstrip(",;:") + " …"
    return text


class Utility(ManagementUtility):
    """Django's command runner, with csrtool's own commands first in the help."""

    def main_help_text(self, commands_only=False):
        if commands_only or "--all" in self.argv[2:]:
            return super().main_help_text(commands_only=commands_only)
        commands = get_commands()
        lines = [
            "Usage: csrtool COMMAND [options]",
            "",
            "csrtool help COMMAND shows a command's options;",
            "csrtool help --all lists Django's own commands too.",
        ]
        settings_error = getattr(self, "settings_exception", None)
        for title, names in COMMAND_GROUPS:
            lines += ["", f"{title}:"]
            for name in names:
                summary = ""
                if settings_error is None and name in commands:
                    summary = _summary(name, commands[name])
                lines.append(f"  {name:<18} {summary}".rstrip())
        if settings_error is not None:
            lines += [
                "",
                f"(Command descriptions need the settings, which failed: "
                f"{settings_error})",
            ]
        return "\n".join(lines)


if __name__ == "__main__":
    main()
