"""`gradient validate`: the acceptance runs made in their own directories, judged, resumed, and refused on bad input.

Real runs at respiratory_control's smoke parameters (one simulated second each), serially: the defaults take
hours (`scenarios.validate`), and what is tested here (the layout, the parts' parameters, the judgement, resume,
the exit codes) does not depend on the protocol's length.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scenarios import validate as validation
from scenarios.cli import main
from scenarios.registry import all_scenarios
from world.outputs import read_summary

SMOKE = all_scenarios()["respiratory_control"].smoke
# the P/O runs' own protocol (a 20 s state-4 window, the pulse at 30 s) shortened to the smoke's
PO_SMOKE = {k: SMOKE[k] for k in ("t_pulse", "state4_window", "state3_delay", "window", "t_end")}


def _files(out: Path) -> dict[str, int]:
    """Every file under `out` with its modification time (ns)."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.rglob("*")) if p.is_file()}


def test_validate_makes_each_part_per_seed_judges_them_and_resumes(tmp_path: Path) -> None:
    """Two parts × two seeds land in OUT/PART/sSEED with the part's parameters; the rows are those of
    `analysis.acceptance.evaluate` (the smoke protocol misses the RCR target, the leak-free run is judged for the
    P/O limit only), written to acceptance.json; a second call runs nothing and rewrites the same table."""
    out = tmp_path / "v"
    overrides = {"respiratory_control": SMOKE, "p_o_nadh": PO_SMOKE}
    rows = validation.validate(
        "0,1", out, parts=["respiratory_control", "p_o_nadh"], overrides=overrides, scheduler="serial", progress=False
    )
    for part, seed in [("respiratory_control", 0), ("respiratory_control", 1), ("p_o_nadh", 0), ("p_o_nadh", 1)]:
        s = read_summary(out / part / f"s{seed}")
        assert s is not None and s["complete"] and s["seed"] == seed, (part, seed)
        assert s["params"]["k_leak"] == (0.0 if part == "p_o_nadh" else 0.3)
        assert s["params"]["t_end"] == SMOKE["t_end"]
    by_name = {r["criterion"]: r for r in rows}
    assert by_name["RCR"]["seeds"] == [0, 1] and by_name["RCR"]["verdict"] == "missed"
    assert by_name["P/O in state 3 without leak"]["seeds"] == [0, 1]
    assert "titration: OCR fold (highest / lowest demand)" not in by_name  # a part not run is not judged
    written = json.loads((out / "acceptance.json").read_text())["rows"]
    assert [r["criterion"] for r in written] == [r["criterion"] for r in rows]
    assert "RCR" in validation.missed(rows)
    spec = json.loads((out / validation.SPEC).read_text())
    assert spec["seeds"] == [0, 1] and spec["parts"]["p_o_nadh"]["k_leak"] == 0.0

    before = {k: v for k, v in _files(out).items() if re.fullmatch(r"[a-z_]+/s\d+/.+", k)}  # the runs' files
    assert len(before) >= 4 * 3
    again = validation.validate(
        "0,1", out, parts=["respiratory_control", "p_o_nadh"], overrides=overrides, scheduler="serial", progress=False
    )
    assert again == json.loads(json.dumps(rows))
    after = _files(out)
    assert {k: after[k] for k in before} == before  # every run file untouched: nothing was rerun


def test_validate_command_exits_3_on_a_missed_target_after_printing_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The command prints the acceptance table, then one error line naming the missed targets, exit code 3."""
    monkeypatch.setitem(validation.PARTS, "respiratory_control", ("respiratory_control", dict(SMOKE)))
    out = tmp_path / "v"
    argv = ["validate", "--only", "respiratory_control", "--seeds", "3", "--out", str(out), "--scheduler", "serial"]
    assert main([*argv, "--quiet"]) == 3
    captured = capsys.readouterr()
    assert "membrane acceptance" in captured.out and "RCR" in captured.out
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "RCR" in err[0] and "missed" in err[0], err
    assert (out / "respiratory_control" / "s3" / "summary.json").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "nope"], "--only nope is not allowed"),
        (["--seeds", "1,1"], "--seeds"),
        (["--workers", "0"], "--workers 0 is not allowed"),
    ],
)
def test_validate_refuses_bad_input_with_exit_2_and_writes_nothing(
    tmp_path: Path, capsys, argv: list[str], message: str
) -> None:
    out = tmp_path / "v"
    assert main(["validate", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_validate_refuses_a_directory_that_is_not_a_validation(tmp_path: Path, capsys) -> None:
    """A user's non-empty directory is refused (exit 2) and left as it was."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["validate", "--out", str(out), "--only", "p_o_nadh"]) == 2
    assert "is not a validation" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "keep me"


def test_a_failing_part_does_not_stop_the_next_and_the_record_accumulates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part whose run fails (here: every respiratory_control run with the leak on raises) is reported after the
    other parts ran and the finished runs were judged; validate.json keeps the parts of earlier calls."""
    import scenarios.runner
    from scenarios.sweep import SweepFailedError

    real = scenarios.runner.execute

    def failing(name, out, **kw):
        if kw["overrides"].get("k_leak", 0.3) > 0:
            raise RuntimeError("injected failure")
        return real(name, out, **kw)

    out = tmp_path / "v"
    monkeypatch.setattr(scenarios.runner, "execute", failing)
    overrides = {"respiratory_control": SMOKE, "p_o_nadh": PO_SMOKE}
    with pytest.raises(SweepFailedError, match="respiratory_control: 1 of 1 runs failed"):
        validation.validate(
            "2", out, parts=["respiratory_control", "p_o_nadh"], overrides=overrides, scheduler="serial", progress=False
        )
    rows = json.loads((out / "acceptance.json").read_text())["rows"]
    assert [r["criterion"] for r in rows] == ["P/O in state 3 without leak"]
    monkeypatch.setattr(scenarios.runner, "execute", real)
    validation.validate("3", out, parts=["p_o_succinate"], overrides={"p_o_succinate": PO_SMOKE}, scheduler="serial",
                        progress=False)  # fmt: skip
    spec = json.loads((out / validation.SPEC).read_text())
    assert spec["seeds"] == [2, 3] and set(spec["parts"]) == {"respiratory_control", "p_o_nadh", "p_o_succinate"}
    assert spec["parts"]["p_o_succinate"]["substrate"] == "succinate"
