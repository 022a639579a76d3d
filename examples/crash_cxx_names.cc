// SPDX-License-Identifier: MIT
// crash_cxx_names.cc -- C++ frames with namespaces, classes, templates
// and overloads: "throw" lets an exception escape a member function
// (SIGABRT, trimmed down to the thrower), "segv" writes through NULL in
// a template member (tests/scenarios/test_stacks_special.c).
#include <cstring>
#include <stdexcept>

namespace shapes {

template <typename T> struct Box {
	__attribute__((noinline)) void poke(volatile T *p, T v)
	{
		*p = v; // frame shapes::Box<int>::poke:+2
	}
};

struct Thrower {
	__attribute__((noinline)) void go(int n)
	{
		if (n > 0) // throws: frame shapes::Thrower::go:+3
			throw std::runtime_error("nobody catches this");
	}
};

} // namespace shapes

int main(int argc, char **argv)
{
	if (argc > 1 && std::strcmp(argv[1], "throw") == 0) {
		shapes::Thrower t;

		t.go(argc); // frame main:+5
	}
	shapes::Box<int> b;

	b.poke(nullptr, 1); // frame main:+9
	return 0;
}
