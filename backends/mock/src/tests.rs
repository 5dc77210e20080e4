//! Tests on the mock alone.
