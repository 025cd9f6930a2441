"""The static site: every procedure as a web page, rendered from the same content files the bot uses."""
