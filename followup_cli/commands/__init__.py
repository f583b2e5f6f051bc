"""What each command does: storage and the core in, plain results out. Nothing here
prints or draws."""
