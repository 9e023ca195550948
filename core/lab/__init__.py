"""The classroom server: workspaces, run files, limits, the job queue and the class's drawings."""
