"""What an error that carries a message key says, for tests of the pure rules that raise one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from market.i18n import error_text


def said(exc: BaseException, lang: str = "en") -> str:
    """The error's message as a reader of `lang` sees it."""
    return error_text(exc, lang)


@contextmanager
def raises_saying(kind: type[BaseException], pattern: str, lang: str = "en") -> Iterator[pytest.ExceptionInfo[Any]]:
    """Like `pytest.raises(kind, match=pattern)`, matched against the message as it reads in `lang`."""
    with pytest.raises(kind) as caught:
        yield caught
    assert re.search(pattern, said(caught.value, lang)), said(caught.value, lang)
