"""Screens of the workbench: the main view, chat, the event inspector, the log filter."""
