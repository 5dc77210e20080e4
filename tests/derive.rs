//! The derive's refusals, and stores through read-only views: each `tests/ui/*.rs`
//! must fail to compile with the message pinned in its `.stderr` (regenerate with
//! `TRYBUILD=overwrite`).

#[test]
fn derive_refuses_what_cannot_be_viewed() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
