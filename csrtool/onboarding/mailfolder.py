"""An email backend for demos without a mail server: one .eml file per email."""

import re
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class FolderEmailBackend(BaseEmailBackend):
    """Write each message to EMAIL_FILE_PATH as <time>-<recipient>.eml."""

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)
        self.written: list[Path] = []

    def send_messages(self, email_messages):
        self.folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for message in email_messages:
            recipient = re.sub(r"[^A-Za-z0-9@._-]", "_", message.to[0])[:80]
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            path = self.folder / f"{stamp}-{recipient}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\n"))
            self.written.append(path)
            count += 1
        return count
