"""An independent implementation of the session-runtime cookie format,
written from docs/wire-format.md alone (tests/interop/README.md)."""
