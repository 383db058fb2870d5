//! Keyblade's engine. Pure functions over plain data: no I/O.
