"""Scenario modules: every module here is imported and registers its scenarios
with @scenario(name, tier=...). Add a file, or a function to an existing one."""
import importlib
import pkgutil

for _m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_m.name}")
