"""What is done with a case and its model: evaluate, explain, verify, sweep, plan the years, calibrate."""
