// SPDX-License-Identifier: MIT
// crash_cxx_string.cc -- std::string from a null char*: libstdc++ throws
// std::logic_error from its own code, uncaught, so the program aborts with
// frames of libstdc++ between the thrower and the program.
#include <cstdio>
#include <string>

__attribute__((noinline)) static std::string make_name(const char *volatile *p)
{
	return std::string(*p); // frame make_name:+2
}

int main()
{
	const char *volatile p = nullptr;

	std::printf("%s\n", make_name(&p).c_str()); // frame main:+4
	return 0;
}
