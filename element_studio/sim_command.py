"""`element-studio sim [PLATFORM] ...`: run a Type's built-in simulator, or talk to a running one.

PLATFORM is the word a Type's `offline_simulator` declares (e.g. `dingtalk`); without it, the
first platform in name order. The rest of the arguments belong to that simulator's command.
"""
from __future__ import annotations

import sys

from .app_folder import choose_app_folder
from .offline import offline_simulators
from .runtime.app import App


def sim_main(argv: list[str]) -> int:
    simulators = {sim.platform: sim for sim in offline_simulators(App(choose_app_folder(None))).values() if sim.command}
    if not simulators:
        print("error: no Type ships a simulator", file=sys.stderr)
        return 2
    platform = argv[0] if argv[:1] and argv[0] in simulators else sorted(simulators)[0]
    rest = argv[1:] if argv[:1] == [platform] else argv
    command = simulators[platform].command
    assert command is not None
    return command(rest)
