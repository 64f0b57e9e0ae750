//! The C ABI (filled in by the FFI layer).
