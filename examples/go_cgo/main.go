// SPDX-License-Identifier: MIT
// crash_go_cgo -- a Go program whose C code (cgo) writes through NULL.
// Go's runtime catches the fault, prints its traceback and exits 2; with
// GOTRACEBACK=crash it then dies of SIGABRT, and the crash/crash counter
// names the C frames (docs/stack-counters.md "Go").
package main

/*
__attribute__((noinline)) static void write_null(volatile int *p)
{
	*p = 42; // frame write_null:+2
}

static void crash_in_c(void) { write_null(0); } // frame crash_in_c:+0
*/
import "C"

//go:noinline
func callC() {
	C.crash_in_c()
}

func main() {
	callC()
}
