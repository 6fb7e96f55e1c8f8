"""Onboarding: detecting what the machine offers and writing a first project."""
