"""What every stage may use: the errors a planner sees and every bokmål text (the lowest layer)."""
