"""The toolkit every report is made with: single run, compare, claims and sweep.

format      dates, percentages, numbers and column names as text
tables      display tables (Cell, Table, frame_table)
palette     one colour per run and per ticker across a report's charts
charts      figures without pyplot, PNG bytes, readable log and date axes, heatmaps
page        the Jinja environment; templates/base.html.j2 is every page's frame and style
folder      the report folder: files with their SHA-256 and the atomic publish
provenance  package versions, run ids, the data record and the findings grouped
"""

from engine.report.toolkit.folder import LATEST_FILE, ReportError, ReportFolder, publish_folder
from engine.report.toolkit.tables import Cell, Table, frame_table

__all__ = [
    "LATEST_FILE",
    "Cell",
    "ReportError",
    "ReportFolder",
    "Table",
    "frame_table",
    "publish_folder",
]
