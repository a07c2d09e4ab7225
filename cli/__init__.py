"""The coord command line (import name coord_cli). It only talks to coordinator."""
