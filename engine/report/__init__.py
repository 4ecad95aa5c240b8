"""Every report: the single run (run/), the comparison (compare/), the claims (claims/) and
the sweep (sweep/), made with one toolkit (toolkit/: formatting, palette, charts, tables, page,
atomic folder, provenance) and the page templates in templates/. model.py is the run's input.
"""
