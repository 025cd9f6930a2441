"""The chat flow: states, handlers and keyboards. Every word shown comes from content/."""
