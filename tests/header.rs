//! The checked-in C header must be exactly what the pinned cbindgen generates from the FFI
//! layer and `cbindgen.toml`.
//!
//! `WEAVE_BLESS_HEADER=1 cargo test --test header` rewrites `include/weave_feedback.h` instead
//! of comparing. The CLI (`cbindgen --config cbindgen.toml --crate weave-feedback`, version
//! 0.29.4) produces the same text.

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml should be a valid cbindgen config");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen should generate the header from src/ffi");
    let mut generated = Vec::new();
    bindings.write(&mut generated);

    let path = root.join("include").join("weave_feedback.h");
    if std::env::var_os("WEAVE_BLESS_HEADER").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("writing include/weave_feedback.h");
        return;
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    if checked_in != generated {
        let first_diff = checked_in
            .split(|b| *b == b'\n')
            .zip(generated.split(|b| *b == b'\n'))
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one file is a prefix of the other".to_string(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!(
            "include/weave_feedback.h is out of date with src/ffi and cbindgen.toml ({first_diff}).\n\
             Regenerate it with:\n\n    WEAVE_BLESS_HEADER=1 cargo test --test header\n\n\
             then review and commit the diff. Never edit the header by hand."
        );
    }
}
