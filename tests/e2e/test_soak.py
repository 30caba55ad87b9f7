"""A two-round ``make soak`` (bench/soak.py): the quickstart under 20 % injected faults and 20-second tokens, the
second round's first apply killed with SIGKILL. Every command must succeed the first time, every plan after apply
must be a no-op, and the simulator's snapshot must show no duplicate and nothing left behind."""

from __future__ import annotations

from pathlib import Path

from bench import soak


def test_two_soak_rounds_under_faults_and_a_kill_need_no_rerun(tmp_path: Path) -> None:
    lines: list[str] = []
    fig = soak.soak(2, error_rate=0.2, token_ttl=20.0, kill_every=2, workdir=tmp_path, log=lines.append)
    report = soak.table(fig) + "\n" + "\n".join(lines + fig.rerun_log)
    assert fig.rounds == 2 and fig.kill_rounds == 1, report
    assert fig.faults_total > 0, "no fault was injected: the soak tested nothing"
    assert fig.reruns == 0, report
    assert fig.unclean_plans == 0, report
    assert fig.duplicates == 0 and fig.orphans == 0, report
