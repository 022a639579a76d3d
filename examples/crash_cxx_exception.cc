// SPDX-License-Identifier: MIT
// crash_cxx_exception.cc -- throws a C++ exception nobody catches:
// std::terminate, then abort(): SIGABRT.
#include <stdexcept>

__attribute__((noinline)) static void fail()
{
	throw std::runtime_error("nobody catches this"); // frame fail:+2
}

int main()
{
	fail(); // frame main:+2
	return 0;
}
