"""Running a management command as an operator would, capturing what it prints."""

import io
from dataclasses import dataclass

from django.core.management import call_command


@dataclass
class Ran:
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def run(name: str, *args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return Ran(out.getvalue(), err.getvalue())
