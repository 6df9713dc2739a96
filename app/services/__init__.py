"""Use cases the desktop client and the command line call: open a store, save and find entries."""
