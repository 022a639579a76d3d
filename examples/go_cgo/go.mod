module tmwatch.example/crash_go_cgo

go 1.19
