"""Developer tools that are not part of the bot: the headless-browser launcher and the README screenshot."""
