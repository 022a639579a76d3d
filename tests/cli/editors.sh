# SPDX-License-Identifier: MIT
# tests/cli/editors.sh SCENARIO -- the recipes of docs/editors.md: the
# LSP handshake through the exact command each editor runs, compared
# with clangd run bare; Neovim's own client; a systemd unit.
. "$(dirname "$0")/lib.sh"
command -v clangd >/dev/null || fail "clangd not found: install it"
mkdir -p "$T/bin"
ln -s "$TMWATCH_BIN" "$T/bin/tmwatch"
export PATH="$T/bin:$PATH"

# handshake CMD...: initialize, shutdown, exit over stdio; prints the
# server's name from the initialize reply, fails on anything else.
handshake() {
	python3 - "$@" <<'EOP'
import json, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def send(o):
    b = json.dumps(o).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
    p.stdin.flush()
def recv():
    n = 0
    while True:
        line = p.stdout.readline()
        if not line:
            sys.exit("server closed stdout")
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    return json.loads(p.stdout.read(n))
send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
      "params": {"processId": None, "rootUri": None, "capabilities": {}}})
while True:
    m = recv()
    if m.get("id") == 1:
        break
if "capabilities" not in m.get("result", {}):
    sys.exit("no capabilities: %s" % m)
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
while recv().get("id") != 2:
    pass
send({"jsonrpc": "2.0", "method": "exit"})
p.stdin.close()
rc = p.wait(timeout=60)
if rc != 0:
    sys.exit("exit status %d" % rc)
print(m["result"].get("serverInfo", {}).get("name", "?"))
EOP
}

case $1 in
lsp_handshake_through_tmwatch_matches_bare_clangd)
	bare=$(handshake clangd) || fail "bare clangd: $bare"
	wrapped=$(handshake tmwatch clangd) || fail "tmwatch clangd: $wrapped"
	[ "$bare" = "$wrapped" ] && [ -n "$bare" ] ||
		fail "bare '$bare', under tmwatch '$wrapped'"
	;;
vscode_wrapper_script_speaks_lsp)
	printf '#!/bin/sh\nexec tmwatch clangd "$@"\n' >"$T/bin/tmwatch-clangd"
	chmod +x "$T/bin/tmwatch-clangd"
	out=$(handshake "$T/bin/tmwatch-clangd") || fail "wrapper: $out"
	[ "$out" = "$(handshake clangd)" ] || fail "wrapper: $out"
	;;
neovim_lsp_client_initializes_clangd_under_tmwatch)
	command -v nvim >/dev/null || fail "nvim not found: install neovim"
	cat >"$T/init.lua" <<'EOL'
local ok = false
local id = vim.lsp.start_client({
  name = "clangd", cmd = { "tmwatch", "clangd" },
  root_dir = vim.fn.getcwd(),
  on_init = function() ok = true end,
})
vim.wait(60000, function() return ok end, 50)
io.stdout:write(ok and "initialized\n" or "timeout\n")
if id then vim.lsp.stop_client(id) end
vim.cmd("qa!")
EOL
	cd "$T" || fail cd
	out=$(timeout 120 nvim --headless -u NONE -c "luafile $T/init.lua" 2>&1)
	printf '%s\n' "$out" | grep -qx initialized || fail "nvim: $out"
	;;
systemd_unit_with_tmwatch_execstart_verifies_and_runs)
	cat >"$T/mydaemon.service" <<EOU
[Unit]
Description=a daemon under tmwatch

[Service]
ExecStart=$T/bin/tmwatch /bin/sh -c 'echo running; exit 3'
EOU
	mkdir -p "$T/run"
	out=$(XDG_RUNTIME_DIR="$T/run" systemd-analyze verify --man=no \
		"$T/mydaemon.service" 2>&1) || fail "verify: $out"
	[ -z "$out" ] || fail "verify: $out"
	"$T/bin/tmwatch" /bin/sh -c 'echo running; exit 3' >"$T/out"
	rc=$?
	[ "$rc" = 3 ] && [ "$(cat "$T/out")" = running ] ||
		fail "ExecStart: exit $rc, output $(cat "$T/out")"
	;;
*) fail "unknown scenario '$1'" ;;
esac
echo ok
