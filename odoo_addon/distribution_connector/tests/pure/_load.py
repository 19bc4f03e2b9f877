"""Load ``distribution_connector/tools`` as a stand-alone package, without Odoo.

Importing ``distribution_connector`` itself would import Odoo, so the tools
folder is loaded under its own name, ``dc_tools``.
"""

import importlib.util
import pathlib
import sys

ADDON_DIR = pathlib.Path(__file__).resolve().parents[2]
CONTRACTS_DIR = ADDON_DIR.parents[1] / "contracts" / "v1"


def load_tools():
    if "dc_tools" in sys.modules:
        return sys.modules["dc_tools"]
    tools_dir = ADDON_DIR / "tools"
    spec = importlib.util.spec_from_file_location(
        "dc_tools", tools_dir / "__init__.py", submodule_search_locations=[str(tools_dir)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["dc_tools"] = module
    spec.loader.exec_module(module)
    return module
