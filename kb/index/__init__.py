"""Where vectors and text live, and how they are searched."""
