"""The simulation of a plan under the case's own rules: the compiled event loop and its runs."""
