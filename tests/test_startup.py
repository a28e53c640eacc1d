"""What the commands import: nothing heavy that they do not use (speed is measured by
benchmarks/startup.py; these tests only pin which modules stay out)."""

import ast
import subprocess
import sys


def loaded(code: str, prefix: str) -> list[str]:
    """The modules starting with ``prefix`` loaded after running ``code`` in a fresh
    interpreter."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(sorted(m for m in "
                          f"sys.modules if m.startswith({prefix!r})))"],
                         capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])  # the printed list


def test_the_audit_modules_do_not_import_scipy_stats():
    """scipy.stats costs about 0.6 s of start-up; the audit must not pull it in."""
    assert loaded("import fintech_index.cli, fintech_index.audit.run, "
                  "fintech_index.audit.sensitivity\n"
                  "from fintech_index.audit.uncertainty import sobol_points\n"
                  "sobol_points(3, 8, 1)", "scipy.stats") == []


def test_the_main_build_modules_do_not_import_scipy_stats():
    """The main job (fintech-index build) imports gfcdi.job for its editions report;
    scipy.stats is only for the agreement with published rankings (validate-examples)."""
    assert loaded("import fintech_index.gfcdi.job, fintech_index.audit.quick, "
                  "fintech_index.publish.site", "scipy.stats") == []


def test_help_imports_no_numpy_and_a_clean_validate_no_rich():
    assert loaded("import fintech_index.cli", "numpy") == []
    asem = ("from fintech_index.examples import datasets_dir\n"
            "a = datasets_dir() / 'asem'\n")
    run = (asem + "import sys\nfrom fintech_index.cli import app\n"
           "sys.argv = ['fintech-index', 'validate', str(a / 'asem.yaml'), str(a / 'asem.csv'),"
           " '-m', str(a / 'asem.methodology.yaml')]\n"
           "try:\n    app()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code")
    assert loaded(run, "rich") == []


def test_a_build_and_its_edition_report_do_not_import_duckdb():
    """DuckDB is for the store; the analyses import the back-casts (for explain), which
    name the store only as a type (50 ms of every build's start-up, issue 27)."""
    assert loaded("import fintech_index.build, fintech_index.publish.report, "
                  "fintech_index.analysis, fintech_index.publish.view", "duckdb") == []
