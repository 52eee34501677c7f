"""`sselab batch` — analyse a folder into a results store (incremental, resumable, local pool or Dask);
`sselab query` — SQL on a store (DuckDB)."""
from __future__ import annotations

from pathlib import Path

import typer

from ._common import JSON_OPTION, err_console, print_json, show, table, user_errors

#: rows a query prints as a table before it says how many more there are
MAX_SHOWN = 200


def batch(
    directory: Path = typer.Argument(..., help="Folder with instrument files (searched recursively)."),
    store: Path = typer.Option(..., "--store", "-s", help="Results store folder (created, or updated in place)."),
    manifest: Path = typer.Option(None, "--manifest", "-m",
                                  help="Cells YAML (default: cells.yaml or manifest.yaml inside the folder)."),
    jobs: int = typer.Option(None, "--jobs", "-j", help="Local worker processes (default: one per core; 1 runs "
                                                        "everything in this process)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786 "
                                                            "(needs sselab[dask]); --jobs is then not used."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Run units that failed before again."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Do not store figure data (smaller store)."),
    rehash: bool = typer.Option(False, "--rehash", help="Hash every input again (ignore the size/mtime cache)."),
    json_out: bool = JSON_OPTION,
):
    """Analyse every unit of work under DIRECTORY into a results store of Parquet tables.

    The analysis is the report's (`sselab report`): one unit per job of the recipes' routing (a recipe over its
    files: per impedance file, per cell, per material, per figure panel of the manifest) and one per input file.
    Unchanged units (same content hashes, recipe, cell, options and sselab version) are skipped; a killed run
    resumes where it stopped.  Tables: units, files, results, values, flags, figures, a summary per recipe (eis,
    arrhenius, drt, dcpol, cv, cycling …) and the recipes' tables (fits, arrhenius_points, drt_peaks …); query them
    with `sselab query STORE "SELECT …"`."""
    with user_errors():
        from ..batch import batch as run_batch

        if scheduler is not None and jobs is not None:
            err_console.print("note: --jobs is not used with --scheduler (the cluster's workers run the units)",
                              highlight=False, markup=False)
        run = run_batch(directory, store, manifest=manifest, jobs=jobs, scheduler=scheduler,
                        retry_failed=retry_failed, figures=not no_figures, rehash=rehash)
        if json_out:
            print_json(run.to_dict())
        else:
            how = (f"{run.backend}, {run.workers} worker{'s' if run.workers != 1 else ''}" if run.analysed
                   else "nothing to analyse")
            show(table(f"sselab batch — {run.units} units in {run.seconds:.1f} s ({how})", ["", "units"],
                       [["analysed", str(len(run.analysed))], ["skipped (unchanged)", str(len(run.skipped))],
                        ["resumed (finished before an interruption)", str(len(run.adopted))],
                        ["removed (no longer in the folder)", str(len(run.removed))],
                        ["no result (nothing to analyse in them)", str(len(run.empty))],
                        ["failed", str(len(run.failed))]]))
            show(table(f"tables in {store}", ["table", "rows"], [[k, str(v)] for k, v in run.tables.items() if v]))
        _notes(run)


def _notes(run) -> None:
    from rich.markup import escape

    for unit, error in run.failed:
        err_console.print(f"[yellow]failed:[/] {escape(unit)}: {escape(error)}", highlight=False, soft_wrap=True)
    for w in run.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, soft_wrap=True)
    err_console.print(f"store: {run.store}", highlight=False, markup=False)


def query(
    store: Path = typer.Argument(..., help="Results store folder (written by `sselab batch`)."),
    sql: str = typer.Argument(None, help="One SQL statement (DuckDB dialect); without it, the tables are listed."),
    json_out: bool = JSON_OPTION,
    csv_out: bool = typer.Option(False, "--csv", help="Print CSV on stdout instead of a table."),
):
    """Run SQL on a results store (DuckDB), e.g.

    sselab query results.store "SELECT subject, Ea_eV, Ea_eV_stderr FROM arrhenius"

    Every table is a view over the store's committed Parquet files; without SQL the tables and their row counts
    are listed (`DESCRIBE fits` shows a table's columns)."""
    with user_errors():
        from ..store.reader import Store

        with Store(store) as st:
            if not sql:
                tabs = st.tables()
                if json_out:
                    print_json({"tables": {n: {"rows": r, "columns": dict(st.columns(n))} for n, r in tabs.items()}})
                else:
                    show(table(f"{store}: {len(st.state.units)} units", ["table", "rows", "columns"],
                               [[n, str(r), ", ".join(c for c, _ in st.columns(n))] for n, r in tabs.items()]))
                return
            if csv_out:
                import sys

                st.sql(sql).to_csv(sys.stdout, index=False)
                return
            cols, rows = st.rows(sql)
            if json_out:
                print_json([dict(zip(cols, r)) for r in rows])
                return
            shown = rows[:MAX_SHOWN]
            show(table(None, cols, [[_cell(x) for x in r] for r in shown]))
            if len(rows) > MAX_SHOWN:
                err_console.print(f"… {len(rows) - MAX_SHOWN} more rows ({len(rows)} in all): use LIMIT, --csv or "
                                  f"--json", highlight=False, markup=False)


def _cell(x) -> str:
    """A query cell as text: integers in full, floats to 6 significant digits, NULL as —."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.6g}" if x == x else "NaN"
    return str(x)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
    app.command("query")(query)
