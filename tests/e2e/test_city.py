"""A city scenario from the command line: located errors, a run, its report and charts per
area (the Hengshui-like city, small samples)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from fundsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
HENGSHUI = ROOT / "scenarios" / "hengshui"


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def write(tmp_path: Path, text: str, parent: str = "reserve.yaml") -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(
        f"extends: {HENGSHUI / parent}\nname: city\ntitle: {{zh: 测试城市, en: test city}}\n"
        "horizon: {start: 2021-01-01, end: 2024-12-31}\n"
        "parameters:\n  population:\n    sample: {value: 0.01, source: test}\n" + text,
        encoding="utf-8",
    )
    return path


def areas_section(extra: str) -> str:
    """Two areas of the city's files, ``extra`` under the first."""
    data = ROOT / "calibration" / "hengshui"
    return (
        "areas:\n"
        f"  north:\n    name: {{zh: 北区, en: North}}\n    data: {{population: {data / 'taocheng' / 'population.csv'}}}\n"
        + extra
        + f"  south:\n    name: {{zh: 南区, en: South}}\n    data: {{population: {data / 'wuqiang' / 'population.csv'}}}\n"
    )


@pytest.mark.parametrize(
    ("section", "where", "what"),
    [
        (
            areas_section(
                "    parameters:\n      pooling:\n        mode: {value: unified, source: test}\n"
            ),
            "areas.north.parameters.pooling.mode",
            "the city's rule",
        ),
        (
            areas_section(
                "    parameters:\n      care:\n        cost_levl: {value: 1, source: t}\n"
            ),
            "areas.north.parameters.care.cost_levl",
            "did you mean",
        ),
        (
            areas_section("").replace("  south:", "  total:"),
            "areas.total",
            "names the city's own rows",
        ),
        (
            areas_section("").replace("wuqiang/population.csv", "nowhere/population.csv"),
            "areas.south.data.population",
            "not found",
        ),
    ],
)
def test_a_bad_area_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, where: str, what: str
) -> None:
    path = write(tmp_path, section)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path.name}:" in err and where in err and what in err.lower(), err


@pytest.mark.slow
def test_a_city_runs_and_reports_every_area(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(write(tmp_path, "")), "--runs", "4", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "全市合计" in said and "武强县" in said and "Wuqiang County" in said
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        areas = [str(a) for a in ds["area"].values]
        assert areas == ["taocheng", "shenzhou", "jingxian", "wuqiang", "city", "total"]
        assert {"uebmi_reserve", "urrbmi_reserve"} <= {str(f) for f in ds["fund"].values}
        drawn = ds["by_flow"].sel(flow="reserve_draws_in", area=areas[:4]).sum()
        paid = ds["by_flow"].sel(flow="reserve_draws", area="city").sum()
        assert float(drawn) == pytest.approx(float(paid), rel=1e-12) and float(drawn) > 0
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["area"]) == set(areas)
    figures = {p.name for p in (out / "figures").iterdir()}
    assert "fan_city_city_urrbmi_reserve.png" in figures
    assert "fan_city_total_urrbmi_pool.png" in figures

    assert main(["report", str(out), "--area", "wuqiang", "--lang", "en"]) == 0
    report = (out / "report" / "en-wuqiang" / "report.md").read_text(encoding="utf-8")
    assert "## areas" in report and "Wuqiang County" in report
    assert main(["plot", str(out), "--kind", "draws", "--fund", "urrbmi_pool"]) == 0
    assert (out / "figures" / "draws_urrbmi_pool.png").is_file()
    capsys.readouterr()
    assert main(["plot", str(out), "--kind", "fan", "--area", "nowhere"]) == 2
    assert "no area 'nowhere'" in capsys.readouterr().err


def test_a_city_cannot_be_calibrated_as_a_whole_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "calibrate:\n  parameters:\n    care.admission_level: {low: 0.7, high: 1.4}\n",
    )
    assert main(["calibrate", str(path), "--out", str(tmp_path / "fitted.yaml")]) == 2
    assert "a city of 4 areas" in capsys.readouterr().err
    assert not (tmp_path / "fitted.yaml").exists()
