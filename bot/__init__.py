"""Fiestas Patrias scheduler bot: splits a message into posts and publishes them on X and Facebook."""
