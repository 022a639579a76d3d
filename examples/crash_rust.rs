// SPDX-License-Identifier: MIT
// crash_rust.rs -- a Rust program that writes through a null pointer
// (tests/scenarios/test_stacks_unwind.c): its functions are defined inside
// the crate's namespace in DWARF, where libdw's scope lookup never looks.
#[inline(never)]
fn write_null() {
    let p: *mut i32 = std::ptr::null_mut();
    unsafe { std::ptr::write_volatile(p, 1) };
}

fn main() {
    write_null();
}
