"""Platform adapters. Each one implements bot.publishers.base.Publisher."""
