//! Support for the end-to-end tests: start both services on free ports.
