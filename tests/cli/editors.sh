# SPDX-License-Identifier: MIT
# tests/cli/editors.sh SCENARIO -- the recipes of docs/editors.md: the
# LSP handshake through the exact command each editor runs, compared
# with clangd run bare; Neovim's and Emacs eglot's own clients; a
# systemd unit.
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
emacs_eglot_gets_clangd_diagnostics_under_tmwatch)
	command -v emacs >/dev/null ||
		fail "emacs not found: install emacs-nox elpa-eglot"
	# Debian's elpa-eglot, activated as Debian's site-start does it
	# (-Q skips that): fails below if the package is not installed.
	cat >"$T/eglot.el" <<'EOL'
(require 'package)
(setq package-directory-list '("/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(defun tm-out (fmt &rest args) (princ (apply #'format (concat fmt "\n") args)))
(unless (require 'eglot nil t)
  (tm-out "eglot not loadable: install elpa-eglot") (kill-emacs 2))
(defun tm-wait (what pred)
  (let ((deadline (+ (float-time) 60)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (unless (funcall pred) (tm-out "timeout: %s" what) (kill-emacs 1))))
;; The recipe of docs/editors.md (TM_BARE=1: plain clangd, to compare).
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               `((c-mode c++-mode c-ts-mode c++-ts-mode)
                 . ,(if (getenv "TM_BARE") '("clangd") '("tmwatch" "clangd")))))
(setq eglot-autoreconnect nil)
(add-hook 'c-mode-hook #'eglot-ensure)
(defvar tm-diags nil)
(advice-add 'eglot-handle-notification :after
            (lambda (_server method &rest params)
              (when (eq method 'textDocument/publishDiagnostics)
                (setq tm-diags (append (plist-get params :diagnostics) nil)))))
(find-file (getenv "TM_SRC"))
;; eglot-ensure connects from the command loop, which --batch lacks.
(run-hooks 'post-command-hook)
(tm-wait "eglot connected" #'eglot-current-server)
(let* ((server (eglot-current-server))
       (proc (jsonrpc--process server))
       (pid (process-id proc))
       (kids (seq-filter
              (lambda (p) (eql (alist-get 'ppid (process-attributes p)) pid))
              (list-system-processes))))
  (tm-out "command: %s" (mapconcat #'identity (process-command proc) " "))
  (tm-out "server process: %s" (alist-get 'args (process-attributes pid)))
  (tm-out "its children: %s"
          (mapconcat (lambda (p) (alist-get 'args (process-attributes p)))
                     kids " | "))
  (tm-wait "diagnostics" (lambda () tm-diags))
  (tm-out "diagnostics: %s"
          (mapconcat (lambda (d) (plist-get d :message)) tm-diags " | "))
  ;; The LSP ending, awaited (eglot-shutdown would kill the process
  ;; right after "exit", hiding its exit status).
  (jsonrpc-request server :shutdown nil :timeout 60)
  (jsonrpc-notify server :exit nil)
  (tm-wait "the server to exit" (lambda () (not (process-live-p proc))))
  (tm-wait "its children to end"
           (lambda ()
             (seq-every-p (lambda (p) (null (process-attributes p))) kids)))
  (tm-out "exit: %s %d" (process-status proc) (process-exit-status proc)))
(kill-emacs 0)
EOL
	mkdir -p "$T/proj"
	printf 'int main(void)\n{\n\treturn undeclared_name;\n}\n' >"$T/proj/a.c"
	git -C "$T/proj" init -q || fail "git init"
	em() {
		timeout 120 env TM_SRC="$T/proj/a.c" "$@" \
			emacs -Q --batch -l "$T/eglot.el" 2>"$T/emacs.err"
	}
	bare=$(em TM_BARE=1) ||
		fail "emacs, bare clangd: $bare $(cat "$T/emacs.err")"
	out=$(em) || fail "emacs, tmwatch clangd: $out $(cat "$T/emacs.err")"
	has "$out" '^command: tmwatch clangd$'
	printf '%s\n' "$out" |
		grep -qxF "server process: $T/bin/tmwatch clangd" ||
		fail "not run under tmwatch: $out"
	has "$out" '^its children: clangd$'
	has "$out" '^exit: exit 0$'
	has "$bare" '^server process: [^ ]*clangd$'
	has "$bare" '^its children: $'
	has "$bare" '^exit: exit 0$'
	d=$(printf '%s\n' "$out" | grep '^diagnostics: ')
	has "$d" undeclared_name
	[ "$d" = "$(printf '%s\n' "$bare" | grep '^diagnostics: ')" ] ||
		fail "diagnostics: bare '$bare', under tmwatch '$out'"
	# A clean session: nothing logged as a crash.
	expect_rc 0 tm crashes
	has "$out" '^no crashes recorded'
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
