//! The allocator's side of memory use: glibc's malloc is told to hand memory back to
//! the system after a burst of work (a long answer laid out, a long conversation
//! counted) instead of keeping it for reuse. Measured in BENCHMARKS.md (resident memory).

/// Sets the allocator's parameters; called first thing in `main`, before any other
/// thread exists. By default glibc keeps freed memory below 128 KiB at the top of a
/// heap, and one heap per thread that ever allocated.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune() {
    // SAFETY: mallopt only sets the allocator's parameters, and no other thread exists
    // yet to be allocating meanwhile.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the free memory of every heap to the system: after a burst of work whose
/// transient memory would otherwise stay resident between long-lived allocations.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release() {
    // SAFETY: malloc_trim is thread-safe; it only gives back pages no allocation uses.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release() {}
