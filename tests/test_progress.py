"""Long commands print one line per finished step with its time; a terminal also sees the step that is running."""

from __future__ import annotations

import io
import re

import pytest

from traffic_edge.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ci_logs_get_one_line_per_step_with_its_count_status_and_time() -> None:
    log = io.StringIO()
    progress = Progress("bench", total=2, stream=log)
    with progress.step("100 routes"):
        pass
    with pytest.raises(RuntimeError), progress.step("1000 routes"):
        raise RuntimeError("out of memory")
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\[bench\] 1/2 100 routes: ok \(\d+\.\d s\)", lines[0])
    assert re.fullmatch(r"\[bench\] 2/2 1000 routes: failed \(\d+\.\d s\)", lines[1])


def test_a_terminal_also_sees_the_running_step() -> None:
    screen = Terminal()
    with Progress("fleet", stream=screen).step("dev: preview"):
        assert screen.getvalue() == "[fleet] dev: preview …\n"
    assert screen.getvalue().splitlines()[1].startswith("[fleet] dev: preview: ok (")
