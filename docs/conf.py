"""Sphinx configuration: numpydoc API reference and a sphinx-gallery of examples."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import wsample_sk  # noqa: E402

project = "wsample_sk"
author = "wsample_sk developers"
release = version = wsample_sk.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
intersphinx_mapping = {}  # offline builds: no inventories fetched
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py.md5"]
suppress_warnings = ["config.cache"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
}

html_theme = "alabaster"
html_static_path = []
templates_path = ["_templates"]
