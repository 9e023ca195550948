# Makes `core` importable from tests without installing the project.
