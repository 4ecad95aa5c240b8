"""The toolkit every report is made with: single run, compare, claims and sweep.

format      values as text by kind (one rule), column names in words, better/worse classes
tables      display tables (Cell, Table, frame_table)
markdown    display tables and code blocks as Markdown
palette     one colour per series and per ticker, keyed by name, across every report
charts      figures without pyplot, PNG bytes, readable log and date axes, heatmaps
page        the Jinja environment of engine/report/templates (base.html.j2 frames every page)
folder      the report folder: files with their SHA-256 and the atomic publish
provenance  package versions, run ids, run.json, the data record and the findings grouped
"""
