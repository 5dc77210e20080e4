//! The README's async example is this crate's: the README marks it `ignore` (the core
//! crate's doc tests, which run the README, lack this crate), so this test holds it
//! equal to the example in `src/lib.rs`, which runs as a doc test here.

#[test]
fn the_readme_example_is_the_crate_docs_example() {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Async (kernel objects)").expect("section")..];
    let start = section.find("```rust,ignore\n").expect("example") + "```rust,ignore\n".len();
    let block = &section[start..start + section[start..].find("```\n").expect("end")];
    let lib = include_str!("../src/lib.rs");
    let docs: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
        .collect();
    assert!(
        docs.contains(block),
        "README example differs from src/lib.rs:\n{block}"
    );
    assert!(
        block.lines().count() <= 20,
        "{} lines",
        block.lines().count()
    );
}
