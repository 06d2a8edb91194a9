"""Map the repository's top-level folders under the one import package `element_studio`.

The repository keeps `editor/`, `runtime/`, `elements/`, `schemas/` and `sample_app/` at the top
(the product's layout), while the installed distribution adds exactly one import name:
`element_studio.editor`, `element_studio.runtime`, ... Metadata lives in pyproject.toml.
"""
from setuptools import find_namespace_packages, setup

PACKAGE = "element_studio"
MAPPED = ("editor", "runtime", "elements", "schemas", "sample_app")
SKIPPED = ("*__pycache__*", "*.egg-info*")


def mapped_packages() -> tuple[list[str], dict[str, str]]:
    """Every package and data folder under the mapped top-level folders, renamed under PACKAGE."""
    packages = [PACKAGE] + [f"{PACKAGE}.{name}" for name in find_namespace_packages(PACKAGE, exclude=SKIPPED)]
    package_dir = {PACKAGE: PACKAGE}
    for top in MAPPED:
        package_dir[f"{PACKAGE}.{top}"] = top
        packages.append(f"{PACKAGE}.{top}")
        packages += [f"{PACKAGE}.{top}.{name}" for name in find_namespace_packages(top, exclude=SKIPPED)]
    return packages, package_dir


packages, package_dir = mapped_packages()
setup(packages=packages, package_dir=package_dir)
