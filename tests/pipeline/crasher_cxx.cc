// SPDX-License-Identifier: MIT
// crasher_cxx.cc -- a C++ program that crashes, for the pipeline tests:
// demangled, reduced names and an uncaught exception.
#include <cstring>
#include <stdexcept>
#include <vector>

extern "C" {
#include "crasher_record.h"
}

namespace shapes {
volatile int *volatile null_ptr;

template <typename T> struct Box {
	__attribute__((noinline)) T open(T x) const
	{
		null_ptr[0] = (int)x; // shapes::Box<int>::open:+2
		return x;
	}
};

struct Thrower {
	__attribute__((noinline)) void go(int x)
	{
		throw std::runtime_error("gone"); // shapes::Thrower::go:+2
	}
};
} // namespace shapes

int main(int argc, char **argv)
{
	crasher_install(nullptr);
	if (argc > 1 && std::strcmp(argv[1], "throw") == 0) {
		shapes::Thrower t;
		t.go(1); // main:+5
	}
	shapes::Box<int> b;
	return b.open(3); // main:+8
}
