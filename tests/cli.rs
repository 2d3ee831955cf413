//! Command line: defaults, exit codes, check and diff mode, the recap.
