//! Allocation that reports failure instead of aborting the host, for what the library builds
//! while it is already reporting a problem (error objects).

use std::alloc::{alloc, Layout};

/// A `fmt::Write` that reports allocation failure instead of aborting.
pub(crate) struct FallibleText(pub(crate) String);

impl std::fmt::Write for FallibleText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.try_reserve(s.len()).map_err(|_| std::fmt::Error)?;
        self.0.push_str(s);
        Ok(())
    }
}

/// Moves `value` to the heap, or `None` when the allocation fails.
pub(crate) fn try_box<T>(value: T) -> Option<Box<T>> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        return Some(Box::new(value));
    }
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { alloc(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is a fresh, properly aligned allocation of the global allocator with
    // `Layout::new::<T>()`, which is exactly what `Box<T>` owns and frees.
    unsafe {
        p.write(value);
        Some(Box::from_raw(p))
    }
}
