"""The instructor area: course status and sync, gradebook, per-student fixes, CSV exports."""
