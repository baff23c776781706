import io

import pytest

from econ_envs.core.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_stream_gets_first_and_last_line_only_for_fast_work():
    out = io.StringIO()
    with Progress(100, "job", stream=out, unit="episodes") as bar:
        for _ in range(100):
            bar.advance(note="case a")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the first update and the end: fast work does not flood a log
    assert lines[0].startswith("job [") and "1/100 episodes" in lines[0] and lines[0].endswith("case a")
    assert "100/100 episodes" in lines[1] and "####################" in lines[1]


def test_log_stream_prints_again_after_every_s():
    out = io.StringIO()
    bar = Progress(10, "slow", stream=out, every_s=0.0)
    for k in range(1, 11):
        bar.update(k)
    assert len(out.getvalue().splitlines()) == 10  # every 10 % once every_s has passed


def test_terminal_rewrites_one_line_and_ends_it_on_early_exit():
    out = _Tty()
    with pytest.raises(RuntimeError), Progress(50, "tty", stream=out) as bar:
        bar.update(10)
        raise RuntimeError("stopped")
    text = out.getvalue()
    assert text.startswith("\r\x1b[K") and "10/50" in text and text.endswith("\n")
    assert text.count("\n") == 1


def test_disabled_and_small_totals_print_nothing():
    out = io.StringIO()
    Progress(5, "x", stream=out, enabled=False).update(5)
    Progress(5, "x", stream=out, min_total=20).update(5)
    assert out.getvalue() == ""
    with pytest.raises(ValueError, match="total"):
        Progress(-1, "x")
