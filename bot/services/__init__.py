"""Services: the daemon, the runner, the state folder, status rows, environment and credential checks.

Below the commands (which parse arguments, print and pick exit codes) and above the adapters and the pure
core. Nothing here takes an argparse.Namespace or returns an exit status.
"""
