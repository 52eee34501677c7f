import pytest


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """The `sselab demo --small` data set and its report, built once for every report test."""
    from sselab.report import build_report
    from sselab.simulate.demo import generate_demo

    root = tmp_path_factory.mktemp("demo")
    ds = generate_demo(root / "data", small=True, seed=7)
    rep = build_report(ds.root, root / "report")
    return ds, rep, root / "report"
