"""Reports from results: ``report.md`` and ``report.xlsx`` with every standard chart."""
