"""Sweeps: override syntax, grids, resume after an interruption, equality with solve, Dask."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from dimensioning import InfeasibleError, InputError, solve
from dimensioning.cli import main
from dimensioning.inputs.case import case_from_tables, read_case_tables
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.scenarios import Scenario, apply, parse_override, read_scenarios
from dimensioning.workflows.sweep import sweep

from .conftest import scenario_book


@pytest.fixture(scope="module")
def base():
    return read_case_tables(drammen_path())


def test_override_syntax_and_application(base):
    kad = parse_override("Plasstyper:KAD:innleggelser_per_aar", base)
    growth = parse_override("vekst_etterspørsel", base)
    assert (growth.sheet, growth.key, growth.column, growth.factor) == (
        "Plasstyper",
        "*",
        "innleggelser_per_aar",
        True,
    )
    tables = apply(base, Scenario("x", ((growth, 1.5), (kad, 700))))
    case = case_from_tables(tables)
    assert case.bed_types.at["KAD", "arrivals_per_year"] == 700  # set after the factor
    assert case.bed_types.at["Demens", "arrivals_per_year"] == pytest.approx(245 * 1.5)
    # the base is untouched
    assert case_from_tables(base).bed_types.at["Demens", "arrivals_per_year"] == 245
    policy = parse_override("Foringer:Drammen helsehus/KAD:min", base)
    assert isinstance(policy, str)  # the Drammen case has no policy rows to address
    assert "fant ingen rad «Drammen helsehus/KAD»" in policy


def test_bad_references_name_scenario_row_and_column(tmp_path, base):
    path = scenario_book(
        tmp_path,
        [
            ["scenario", "Plasstyper:KAD:innleggelser", "Lokasjoner:Drammen sykehus:plasser", "vekst_etterspørsel"],
            ["A", 1, 2, "mye"],
            [None, 1, 2, 1.1],
        ],
    )
    with pytest.raises(InputError) as info:
        read_scenarios(path, base)
    issues = [str(i) for i in info.value.issues]
    assert issues == [
        "ark «Scenarier», rad 1, kolonne «Plasstyper:KAD:innleggelser»: arket «Plasstyper» har ingen kolonne "
        "«innleggelser» som kan endres",
        "ark «Scenarier», rad 1, kolonne «Lokasjoner:Drammen sykehus:plasser»: fant ingen rad «Drammen sykehus» "
        "i arket «Lokasjoner»",
        "ark «Scenarier», rad 2, kolonne «vekst_etterspørsel»: en faktor må være et endelig tall, fikk «mye»",
        "ark «Scenarier», rad 3, kolonne «scenario»: mangler navn",
    ]


def test_grid_expands_to_the_product(tmp_path, base):
    path = scenario_book(
        tmp_path,
        [["scenario", "pleiefaktor"], ["Basis", None]],
        grid=[
            ["parameter", "fra", "til", "steg", "verdier"],
            ["Plasstyper:Forsterket (USK):pleiefaktor", 0.68, 0.74, 0.02, None],
            ["totalt_antall_plasser", None, None, None, "140; 146"],
        ],
    )
    scenarios = read_scenarios(path, base)
    assert [s.name for s in scenarios][:3] == ["Basis", "Rutenett 1", "Rutenett 2"]
    grid = [s.changes for s in scenarios[1:]]
    assert len(grid) == 8
    assert grid[0] == {"Plasstyper:Forsterket (USK):pleiefaktor": 0.68, "totalt_antall_plasser": 140.0}
    assert grid[-1] == {"Plasstyper:Forsterket (USK):pleiefaktor": 0.74, "totalt_antall_plasser": 146.0}


SCENARIO_ROWS = [
    [
        "scenario",
        "vekst_etterspørsel",
        "Plasstyper:KAD:maks_avvisning",
        "totalt_antall_plasser",
        "Lokasjoner:Strømsø bo- og servicesenter:plasser",
    ],
    ["Basis"],
    ["KAD 2 %", None, 0.02],
    ["Strømsø stenger, 140 plasser", None, None, 140, 0],
    ["Etterspørsel +20 %", 1.2],
    ["Etterspørsel +5 %", 1.05],
    ["Etterspørsel -10 %", 0.9],
]


def test_sweep_row_equals_dimension_solve(tmp_path, base):
    scenarios = read_scenarios(scenario_book(tmp_path, SCENARIO_ROWS), base)
    run = sweep(base, scenarios, jobs=1)
    table = run.table.set_index("scenario")
    for scenario in scenarios:
        row = table.loc[scenario.name]
        case = case_from_tables(apply(base, scenario))
        try:
            result = solve(case)
        except InfeasibleError:
            assert row["status"] == "ingen løsning", scenario.name
            assert "Krav i konflikt" in row["konflikt"]
            continue
        assert row["status"] == "optimal"
        costs = result.costs.iloc[0]
        assert row["total_cost_nok"] == pytest.approx(costs["total_cost_nok"], rel=1e-9)
        per_type = result.queueing[result.queueing["alternative"] == result.optimum_name]
        for q in per_type.itertuples():
            assert row[f"beds: {q.bed_type}"] == q.beds, (scenario.name, q.bed_type)
    assert table.loc["Etterspørsel +20 %", "status"] == "ingen løsning"
    assert table.loc["KAD 2 %", "beds: KAD"] > table.loc["Basis", "beds: KAD"]


def test_interrupted_sweep_resumes_and_gives_the_same_table(tmp_path, base):
    scenarios = read_scenarios(scenario_book(tmp_path, SCENARIO_ROWS), base)
    journal = tmp_path / "r.xlsx.delvis.jsonl"
    calls = []

    def stop_after_three(done, total):
        calls.append(done)
        if done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(base, scenarios, jobs=1, journal=journal, progress=stop_after_three, chunk_size=1)
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    with journal.open("a", encoding="utf-8") as handle:
        handle.write('{"fingerprint": "torn')  # a kill in the middle of a write
    resumed = sweep(base, scenarios, jobs=1, journal=journal)
    assert (resumed.resumed, resumed.solved) == (3, 3)
    fresh = sweep(base, scenarios, jobs=1)
    pd.testing.assert_frame_equal(resumed.table, fresh.table)
    assert json.loads(lines[0])["row"]["scenario"] == "Basis"


def test_process_pool_gives_the_same_table(tmp_path, base):
    scenarios = read_scenarios(scenario_book(tmp_path, SCENARIO_ROWS), base)
    serial = sweep(base, scenarios, jobs=1)
    parallel = sweep(base, scenarios, jobs=2, chunk_size=2)
    pd.testing.assert_frame_equal(serial.table, parallel.table)


def test_dask_local_cluster_gives_the_same_table(tmp_path, base):
    distributed = pytest.importorskip("distributed")
    scenarios = read_scenarios(scenario_book(tmp_path, SCENARIO_ROWS[:4]), base)
    serial = sweep(base, scenarios, jobs=1)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep(base, scenarios, scheduler=client, chunk_size=1)
    pd.testing.assert_frame_equal(serial.table, on_dask.table)


def test_cli_sweep_writes_workbook_and_figures(tmp_path):
    runner = CliRunner()
    template = tmp_path / "scenarier.xlsx"
    assert runner.invoke(main, ["template", "--scenarier", str(template)]).exit_code == 0
    workbook = load_workbook(template)
    grid = workbook["Rutenett"]
    grid.delete_rows(2, grid.max_row)  # keep the test short: named scenarios plus a small grid
    grid.append(["totalt_antall_plasser", None, None, None, "138; 142; 146"])
    workbook.save(template)
    out = tmp_path / "ut" / "resultat.xlsx"
    result = runner.invoke(main, ["sweep", str(template), "--ut", str(out), "--prosesser", "1"])
    assert result.exit_code == 0, result.output
    assert "9 scenarier (0 hentet fra et avbrutt kjør, 9 løst nå)" in result.output
    sheet = load_workbook(out)["Resultater"]
    header = [c.value for c in sheet[1]]
    changes = [h for h in header if h.startswith("Endring: ")]
    assert header[: 3 + len(changes)] == ["Scenario", "Status", *changes, "Konflikt (hvis ingen løsning)"]
    assert len(changes) >= 5  # what each row changed comes before the results
    assert {"Senger: KAD", "Andel avvist i året: KAD", "Årsverk: sykepleier"} <= set(header)
    assert "Andel avvist med ledig-seng-prinsippet: Demens" in header
    assert sheet.max_row == 10
    pngs = sorted(p.name for p in out.parent.glob("*.png"))
    assert pngs == ["resultat-kostnad.png", "resultat-scenarier.png", "resultat-senger.png"]
    assert not (out.parent / "resultat.xlsx.delvis.jsonl").exists()


def test_cli_sweep_bad_scenario_file(tmp_path):
    path = scenario_book(tmp_path, [["scenario", "Plasstyper:KAT:maks_avvisning"], ["A", 0.02]])
    result = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 2
    assert "fant ingen rad «KAT» i arket «Plasstyper»" in result.output
    assert "Traceback" not in result.output


def test_infeasible_scenarios_are_marked_in_every_figure():
    import matplotlib.pyplot as plt

    from dimensioning.report.sweep_report import _bars, _heatmaps, _line_figures

    table = pd.DataFrame(
        {
            "scenario": ["A", "B", "C"],
            "status": ["optimal", "ingen løsning", "optimal"],
            "endring: totalt_antall_plasser": [140, 120, 146],
            "endring: pleiefaktor": [0.79, 0.79, 0.85],
            "total_cost_nok": [110e6, None, 112e6],
            "turned_away_per_year": [330.0, None, 320.0],
            "beds: KAD": [11, None, 11],
        }
    )
    bars = _bars(table)
    assert [t.get_text().strip() for t in bars.axes[0].texts] == ["ingen løsning"]
    for _name, figure in _line_figures(table, "endring: totalt_antall_plasser"):
        labels = [line.get_label() for ax in figure.axes for line in ax.lines]
        assert "ingen løsning" in labels
        crosses = [line for ax in figure.axes for line in ax.lines if line.get_label() == "ingen løsning"]
        assert all(list(line.get_xdata()) == [120] for line in crosses)
    for _name, figure in _heatmaps(table, "endring: totalt_antall_plasser", "endring: pleiefaktor"):
        assert any(t.get_text() == "×" for t in figure.axes[0].texts)
    plt.close("all")


def test_the_scenario_template_proposes_totals_from_the_smallest_that_can_hold():
    """A new kommune's template offered 65, 74 and 83 beds where 91 is the fewest: the grid starts there now."""
    from dimensioning.inputs.template import sweep_example

    from .conftest import small_case

    case = small_case()  # 10 beds in all; extra step 2
    _, rows, grid = sweep_example(case, smallest_total=9)
    totals = next(r for r in grid if r[0] == "totalt_antall_plasser")[4]
    assert totals == "9; 10; 11; 13; 15"
    closing = next(r for r in rows if "stenger" in str(r[0]))
    assert closing[0] == "B stenger (4 plasser; færre enn de 9 kravene trenger)"
    _, _, unknown = sweep_example(case)
    assert next(r for r in unknown if r[0] == "totalt_antall_plasser")[4] == "4; 6; 8; 10"
