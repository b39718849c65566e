"""The corpus of broken scenarios: each must fail `fundsim validate` with exit code 2 and the
message written in its expect.yaml, located at the expected file and line, with no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fundsim.cli import main

CORPUS = Path(__file__).parent / "invalid"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_scenario_is_reported(
    case: Path, in_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))
    scenario = (case / "scenario.yaml").relative_to(in_root)
    code = main(["validate", str(scenario)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "Traceback" not in captured.err
    where = f"{(case / expect['file']).relative_to(in_root)}:{expect['line']}:"
    matching = [
        line
        for line in captured.err.splitlines()
        if line.startswith(where) and ": error: " in line and expect["message"] in line
    ]
    assert matching, f"no error at {where} saying {expect['message']!r}:\n{captured.err}"
    if expect["path"]:
        assert any(f"error: {expect['path']}: " in line for line in matching), captured.err
