//! Bad input: every error is one clear message with file:line:column and the right exit code.
