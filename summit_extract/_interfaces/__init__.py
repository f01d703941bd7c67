"""Interfaces: how people and files meet the library, above the runners and the engine.

``cli`` is the ``summit-extract`` command line (one module per command), ``report`` the self-contained
HTML page of one article's evidence (``render_html``), ``schemas`` the JSON schema files of each article
type. Evaluation stays in the engine (``_evaluating``): article types declare their ``Scoring`` with it.
"""
