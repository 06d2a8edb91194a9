"""Element Studio: extend a low-code app with your own element families and run them.

The one import package. `element_studio.runtime`, `.editor`, `.elements`, `.schemas` and
`.sample_app` are the repository's top-level folders of the same names (see setup.py);
`cli` and the process wiring (`session`, `serve`, `offline`) sit here, above them, and
`contract` is everything a family or Type may use.
"""
