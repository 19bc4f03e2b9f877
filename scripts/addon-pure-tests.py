"""Runs the addon's pure Python tests (no Odoo needed) and leaves their counts for .ci/run."""
import json
import pathlib
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PURE = ROOT / "odoo_addon" / "distribution_connector" / "tests" / "pure"

suite = unittest.defaultTestLoader.discover(str(PURE), top_level_dir=str(PURE))
result = unittest.TextTestRunner(verbosity=1).run(suite)
failed = len(result.failures) + len(result.errors)
(ROOT / ".data").mkdir(exist_ok=True)
(ROOT / ".data" / "addon-pure-tests.json").write_text(
    json.dumps({"passed": result.testsRun - failed - len(result.skipped), "failed": failed})
)
sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
