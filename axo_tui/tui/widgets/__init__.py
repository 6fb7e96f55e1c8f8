"""Widgets of the workbench; each reads the `WorkbenchModel` and renders one concern."""
