"""The office's coverage dashboard: figures, tables, charts, map and exports."""
