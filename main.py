"""Entry point: `python main.py COMMAND`. All logic lives in the bot package."""

import sys

from bot.commands import main

if __name__ == "__main__":
    sys.exit(main())
